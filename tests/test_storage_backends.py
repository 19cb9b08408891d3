"""Documents and PDFs through the storage API, on the local disk and in a private S3-compatible bucket.

The same path for both backends: a contract is uploaded, an invoice is issued and its PDF rendered (the
worker's task), and both are downloaded through the access-checked views; another cooperative's member
gets 404. With S3 nothing is written to the local disk, every object is private, and a URL the storage
hands out is a short-lived signed one.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from invoicing.documents import invoice_render_document
from invoicing.lib.einvoice import extract_xml_from_pdf
from projects.models import Document
from smartprod.settings.storage import LOCAL, s3_storage
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project
from tests.s3_server import S3Server, s3_server

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    yield from s3_server()


@pytest.fixture(params=["local", "s3"])
def backend(request, settings, tmp_path) -> Iterator[tuple[str, str | None]]:
    settings.MEDIA_ROOT = tmp_path / "media"
    if request.param == "local":
        settings.STORAGES = {**settings.STORAGES, "default": LOCAL}
        yield "local", None
        return
    server: S3Server = request.getfixturevalue("s3")
    bucket = server.new_bucket()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=bucket,
            endpoint_url=server.endpoint_url,
            region=server.region,
            access_key=server.access_key,
            secret_key=server.secret_key,
            expire=120,
        ),
    }
    try:
        yield "s3", bucket
    finally:
        server.empty_and_remove(bucket)


def test_contract_and_invoice_pdf_are_stored_and_downloaded_through_the_views(
    backend, coop, other_coop, make_member, client_for, request
):
    kind, bucket = backend
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = approved_project(coop, owner, advisor)  # uploads the contract
    contract = Document.objects.for_cooperative(coop).get(project=project, kind="contract")
    invoice = issued(coop, owner, advisor, project, ("Stage design", "10", "100.00", "20"))
    invoice = invoice_render_document(cooperative_id=coop.pk, invoice_id=invoice.pk)

    member = client_for(owner)
    document = member.get(f"/documents/{contract.pk}/download/")
    assert document.status_code == 200
    contract_bytes = b"".join(document.streaming_content)
    assert contract_bytes.startswith(b"%PDF")
    pdf = member.get(f"/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200
    pdf_bytes = b"".join(pdf.streaming_content)
    assert hashlib.sha256(pdf_bytes).hexdigest() == invoice.pdf_sha256
    # The Factur-X attachment survived the round trip (read from the PDF's structure: WeasyPrint writes its
    # file specification inside a compressed object stream, so the name is not in the raw bytes).
    assert invoice.number.encode() in extract_xml_from_pdf(pdf_bytes)
    outsider = client_for(make_member(other_coop, role="finance"))
    assert outsider.get(f"/documents/{contract.pk}/download/").status_code == 404
    assert outsider.get(f"/invoices/{invoice.pk}/pdf/").status_code == 404

    media = Path(request.getfixturevalue("settings").MEDIA_ROOT)
    local_files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    if kind == "local":
        stored = {p.relative_to(media).as_posix() for p in local_files}
        assert stored == {contract.file.name, invoice.pdf.name}
        return
    assert local_files == []  # nothing on this machine's disk: another machine reads the same objects
    server: S3Server = request.getfixturevalue("s3")
    client = server.client()
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {contract.file.name, invoice.pdf.name}
    assert client.get_object(Bucket=bucket, Key=invoice.pdf.name)["Body"].read() == pdf_bytes
    for key in keys:
        grants = client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only: private
        assert all(g["Grantee"].get("URI") is None for g in grants)  # no AllUsers / AuthenticatedUsers
    # A URL from the storage is signed and expires (the app streams instead, but never hands out more).
    url = urllib.parse.urlsplit(invoice.pdf.url)
    query = urllib.parse.parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["120"] and "X-Amz-Signature" in query
    with urllib.request.urlopen(invoice.pdf.url, timeout=10) as signed:
        assert signed.read() == pdf_bytes


def test_a_second_pdf_under_a_taken_name_gets_a_free_name(backend, coop):
    """store_pdf relies on the storage never overwriting: S3 is configured like the disk."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    first = default_storage.save("coop-1/invoices/x.pdf", ContentFile(b"one"))
    second = default_storage.save("coop-1/invoices/x.pdf", ContentFile(b"two"))
    assert first == "coop-1/invoices/x.pdf" and second != first
    with default_storage.open(first) as handle:
        assert handle.read() == b"one"
    with pytest.raises(FileNotFoundError):
        default_storage.open("coop-1/invoices/missing.pdf").read()
