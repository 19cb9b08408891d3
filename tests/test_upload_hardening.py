"""Issue 11, finding 7: a polyglot keeps no dangerous name (the extension follows the sniffed type) and
images above the pixel limit (decompression bombs) are refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from projects import services
from projects.models import Document
from tests.projects_helpers import png_bytes
from tests.test_projects_api import PDF, make_project, stored_files

pytestmark = pytest.mark.django_db

POLYGLOT = PDF + b"<html><script>alert(document.domain)</script></html>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _pillow_limit(monkeypatch):
    """The upload check sets Pillow's global limit; put it back after each test."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


def test_a_pdf_html_polyglot_named_html_is_stored_and_served_as_pdf(coop, owner, api_for, client_for, media):
    project = make_project(coop, owner)
    upload = SimpleUploadedFile("evil.html", POLYGLOT, content_type="text/html")
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/documents/", {"kind": "other", "file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["original_name"] == "evil.pdf"
    assert response.json()["content_type"] == "application/pdf"
    assert [path.suffix for path in stored_files(media)] == [".pdf"]

    download = client_for(owner).get(response.json()["download_url"])
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="evil.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_document_stored_under_an_old_html_name_is_served_as_pdf(coop, owner, client_for):
    project = make_project(coop, owner)
    document = services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="other", upload=SimpleUploadedFile("a.pdf", PDF)
    )
    Document.objects.for_cooperative(coop).filter(pk=document.pk).update(original_name="evil.html")
    download = client_for(owner).get(f"/documents/{document.pk}/download/")
    assert 'filename="evil.pdf"' in download["Content-Disposition"]


def _bomb_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def test_an_image_above_the_pixel_limit_is_refused(coop, owner, api_for, media, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000
    project = make_project(coop, owner)
    bomb = _bomb_png(1500, 1000)  # 1.5 MP of one colour: a few hundred bytes
    assert len(bomb) < 10_000
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/documents/",
        {"kind": "receipt", "file": SimpleUploadedFile("receipt.png", bomb)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"file": ["Too many pixels."]}
    assert stored_files(media) == []


def test_a_far_larger_bomb_is_refused_by_pillow_itself(coop, owner, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 100_000
    project = make_project(coop, owner)
    from smartprod.core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="too large"):
        services.document_upload(
            cooperative=coop,
            actor=owner,
            project=project,
            kind="receipt",
            upload=SimpleUploadedFile("bomb.png", _bomb_png(1000, 1000)),
        )
    assert Image.MAX_IMAGE_PIXELS == 100_000  # Pillow's limit, set explicitly


def test_an_image_within_the_limit_is_stored(coop, owner):
    project = make_project(coop, owner)
    document = services.document_upload(
        cooperative=coop,
        actor=owner,
        project=project,
        kind="receipt",
        upload=SimpleUploadedFile("receipt.PNG", png_bytes(20, 20)),
    )
    assert (document.original_name, document.content_type) == ("receipt.png", "image/png")
