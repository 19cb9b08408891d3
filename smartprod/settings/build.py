"""Offline build steps of the Docker image (compilemessages, collectstatic): production's static files
storage, and nothing that needs a secret, a database or Redis — so the build sets no dummy values."""

from smartprod.settings.base import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
