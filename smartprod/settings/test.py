import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from smartprod.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
# Tests see each change of a cooperative at once (tests/test_tenancy.py turns the host cache on).
TENANT_HOST_CACHE_SECONDS = 0
CELERY_BROKER_URL = ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Several test runs may share one embedded PostgreSQL (developers, helpers, CI): one test database each.
DATABASES["default"]["TEST"] = {"NAME": f"test_smartprod_{os.getpid()}"}  # noqa: F405

# Tests never write into the developer's .data/private: one temporary storage root per test session,
# handed to subprocesses (a real Celery worker, gunicorn) through the environment, removed at exit.
# Only named here: the storage creates it on the first file, so mypy or makemigrations (which import these
# settings and end with os._exit, skipping atexit) leave nothing behind.
if not os.environ.get("SMARTPROD_TEST_MEDIA_ROOT"):
    os.environ["SMARTPROD_TEST_MEDIA_ROOT"] = str(
        Path(tempfile.gettempdir()) / f"smartprod-test-media-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    atexit.register(shutil.rmtree, os.environ["SMARTPROD_TEST_MEDIA_ROOT"], ignore_errors=True)
MEDIA_ROOT = Path(os.environ["SMARTPROD_TEST_MEDIA_ROOT"])
