"""Production settings: refuse to start without the secrets a real deployment must set."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# Checked before base.py runs: without DATABASE_URL, base.py would start the embedded development database.
environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env", overwrite=False)
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("Production settings need the environment variable DATABASE_URL.")

from smartprod.settings.base import *  # noqa: E402, F403
from smartprod.settings.base import env  # noqa: E402

DEBUG = False
# The OpenAPI schema and the docs page answer only signed-in people in production (issue 11, finding 9).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)


def _required(name: str) -> str:
    value: str = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Production settings need the environment variable {name}.")
    return value


SECRET_KEY = _required("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith("dev-insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random string of at least 50 characters.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[]) or [_required("DJANGO_ALLOWED_HOSTS")]
_required("DATABASE_URL")  # already checked above, before base.py; kept for the list of requirements
_required("REDIS_URL")  # the shared cache that allauth's rate limits depend on, and the Celery broker

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("REDIS_URL")}
}
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# The API answers JSON only: DRF's browsable HTML renderer costs content negotiation and the template
# machinery on every request that might choose it, and production serves no HTML view of the API
# (/api/docs/ is Swagger UI). Development and tests keep DRF's default pair.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["smartprod.core.renderers.JSONRenderer"],
}
