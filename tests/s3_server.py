"""An S3-compatible server for the storage tests.

With SMARTPROD_TEST_S3_ENDPOINT_URL set (e.g. a MinIO: http://127.0.0.1:9000, with
SMARTPROD_TEST_S3_ACCESS_KEY / SMARTPROD_TEST_S3_SECRET_KEY), the tests use that server. Otherwise they
start moto's S3 server (a dev dependency) in a thread of the test process, on a free local port, so the S3
path of the storage is exercised on every machine, CI included.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"smartprod-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def empty_and_remove(self, bucket: str) -> None:
        client = self.client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)


def s3_server() -> Iterator[S3Server]:
    url = os.environ.get("SMARTPROD_TEST_S3_ENDPOINT_URL", "")
    if url:
        yield S3Server(
            url,
            os.environ.get("SMARTPROD_TEST_S3_ACCESS_KEY", ""),
            os.environ.get("SMARTPROD_TEST_S3_SECRET_KEY", ""),
            os.environ.get("SMARTPROD_TEST_S3_REGION", "us-east-1"),
        )
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()  # port 0: the one the OS picked
        yield S3Server(f"http://{host}:{port}", "testing", "testing")
    finally:
        server.stop()
