import atexit
import os
import shutil
import tempfile
from pathlib import Path

from smartprod.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Several test runs may share one embedded PostgreSQL (developers, helpers, CI): one test database each.
DATABASES["default"]["TEST"] = {"NAME": f"test_smartprod_{os.getpid()}"}  # noqa: F405

# Tests never write into the developer's .data/private: one temporary storage root per test session,
# handed to subprocesses (a real Celery worker, gunicorn) through the environment, removed at exit.
if not os.environ.get("SMARTPROD_TEST_MEDIA_ROOT"):
    os.environ["SMARTPROD_TEST_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="smartprod-test-media-")
    atexit.register(shutil.rmtree, os.environ["SMARTPROD_TEST_MEDIA_ROOT"], ignore_errors=True)
MEDIA_ROOT = Path(os.environ["SMARTPROD_TEST_MEDIA_ROOT"])
