"""HTML → PDF with WeasyPrint, reusing parsed stylesheets and the font configuration between renders.

A document's static CSS lives in a file beside its template and is parsed once per worker thread (not per
document): with the font configuration kept too, an invoice renders ~30 % faster (issue 12, `make bench`).
Only what changes per document (e.g. a translated page-number label) stays inline in the template.
WeasyPrint objects are not shared between threads: each thread keeps its own cache.
"""

from __future__ import annotations

import threading
from pathlib import Path

import weasyprint
from django.conf import settings
from weasyprint.text.fonts import FontConfiguration

_local = threading.local()


def _cache() -> dict[str, object]:
    cache: dict[str, object] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    return cache


def font_config() -> FontConfiguration:
    cache = _cache()
    config = cache.get("fonts")
    if not isinstance(config, FontConfiguration):
        config = cache["fonts"] = FontConfiguration()
    return config


def stylesheet(relative_path: str) -> weasyprint.CSS:
    """The stylesheet at `relative_path` under the templates folder, parsed once per thread."""
    cache = _cache()
    key = f"css:{relative_path}"
    css = cache.get(key)
    if not isinstance(css, weasyprint.CSS):
        path = Path(settings.BASE_DIR) / "templates" / relative_path
        css = cache[key] = weasyprint.CSS(string=path.read_text(encoding="utf-8"), font_config=font_config())
    return css


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = (), pdf_variant: str | None = None) -> bytes:
    """Print `html` as PDF with the cached `stylesheets` (paths under templates/) and fonts."""
    document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR))
    pdf = document.write_pdf(
        stylesheets=[stylesheet(path) for path in stylesheets],
        font_config=font_config(),
        pdf_variant=pdf_variant,
    )
    return bytes(pdf or b"")
