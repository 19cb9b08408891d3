"""Where uploaded documents and rendered PDFs live: the local disk (default) or an S3-compatible bucket.

Chosen by the environment, so several web and worker machines can share one bucket:

    STORAGE_BACKEND=s3
    AWS_STORAGE_BUCKET_NAME=smartprod          (required with s3)
    AWS_S3_ENDPOINT_URL=http://minio:9000      (empty: Amazon S3 itself)
    AWS_S3_REGION_NAME=eu-central-1            (optional)
    AWS_S3_ACCESS_KEY_ID / AWS_S3_SECRET_ACCESS_KEY   (or boto3's own credential chain when empty)
    AWS_LOCATION=                              (optional key prefix inside the bucket)
    AWS_QUERYSTRING_EXPIRE=300                 (seconds a signed URL stays valid)

The bucket stays private: every object is written with the `private` ACL, and `url()` only gives
short-lived signed URLs. The app serves no file by URL anyway: downloads are streamed through the
access-checked views (invoice PDF, project documents, fee notes), which read through the storage API.
`file_overwrite=False` keeps the local disk's behaviour: saving under a taken name picks a free one.
"""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

LOCAL: dict[str, Any] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"base_url": None},
}


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    location: str = "",
    expire: int = 300,
) -> dict[str, Any]:
    """The STORAGES entry of a private S3-compatible bucket (django-storages' S3Storage)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "location": location,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": expire,
            "file_overwrite": False,
            "signature_version": "s3v4",
            # MinIO and most self-hosted servers address buckets by path, not by subdomain.
            "addressing_style": "path" if endpoint_url else None,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }


def default_storage_from_env(env: environ.Env) -> dict[str, Any]:
    backend = env.str("STORAGE_BACKEND", default="local").strip().lower()
    if backend in ("", "local"):
        return LOCAL
    if backend != "s3":
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}.")
    bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
    return s3_storage(
        bucket=bucket,
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=""),
        region=env.str("AWS_S3_REGION_NAME", default=""),
        access_key=env.str("AWS_S3_ACCESS_KEY_ID", default=""),
        secret_key=env.str("AWS_S3_SECRET_ACCESS_KEY", default=""),
        location=env.str("AWS_LOCATION", default=""),
        expire=env.int("AWS_QUERYSTRING_EXPIRE", default=300),
    )
