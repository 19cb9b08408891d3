"""HTML → PDF with WeasyPrint, reusing parsed stylesheets and the font configuration between renders.

A document's static CSS lives in a file beside its template and is parsed once per worker thread (not per
document): with the font configuration kept too, an invoice renders ~30 % faster (issue 12, `make bench`).
Only what changes per document (e.g. a translated page-number label) stays inline in the template.
WeasyPrint objects are not shared between threads: each thread keeps its own cache.

Documents may also replace WeasyPrint's full HTML5 user-agent stylesheet with the compact one in
templates/pdf/document-ua.css (`compact_ua=True`): WeasyPrint matches every user-agent rule against every
element, and most of its rules (forms, bidi attribute selectors, notes, markers) never apply to a printed
document. Together with the invoice template's fewer boxes this brought the invoice from ~11x to ~8x a
minimal page (issue 12). Small stylesheets that vary per document (a translated label) are cached by
their text (`stylesheet_from_string`).

A document whose template writes well-formed XHTML (void elements closed: `<meta ... />`, `<col />`,
`<img ... />`) may ask for it to be parsed as XML (`xhtml=True`): WeasyPrint's HTML5 parser is pure Python
and took ~3.5 ms of the invoice, expat ~0.1 ms (issue 12). The tree is the same elements; a text that is not
well-formed XML (a control character someone typed) falls back to the HTML5 parser.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import cssselect2  # type: ignore[import-untyped]
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


def stylesheet_from_string(css: str) -> weasyprint.CSS:
    """A small stylesheet given as text (e.g. page rules with a translated label), parsed once per thread
    for each distinct text."""
    cache = _cache()
    key = f"css-text:{css}"
    parsed = cache.get(key)
    if not isinstance(parsed, weasyprint.CSS):
        parsed = cache[key] = weasyprint.CSS(string=css, font_config=font_config())
    return parsed


COMPACT_UA = "pdf/document-ua.css"


def _compact_ua_stylesheets(self: object, forms: bool = False) -> list[weasyprint.CSS]:
    return [stylesheet(COMPACT_UA)]


# WeasyPrint asks the document for its user-agent stylesheets (`HTML._ua_stylesheets`, WeasyPrint pinned by
# uv.lock; the invoice PDF tests check the printed result): this subclass answers the compact one.
_CompactUaHTML = type("_CompactUaHTML", (weasyprint.HTML,), {"_ua_stylesheets": _compact_ua_stylesheets})


def _xhtml_document(html_class: type[weasyprint.HTML], html: str, base_url: str) -> weasyprint.HTML | None:
    """`html` parsed as XML into a WeasyPrint document of `html_class` (the elements WeasyPrint's own parser
    gives, without the HTML namespace), or None when it is not well-formed."""
    try:
        # Our own template's output, every inserted text escaped by Django; no DTD, so no entities to expand.
        root = ElementTree.fromstring(html)  # noqa: S314
    except ElementTree.ParseError:
        return None
    # WeasyPrint sets up base URL, URL fetcher and media type from a trivial document; then the tree is ours
    # (the attributes HTML.__init__ sets from its parser's result; WeasyPrint is pinned by uv.lock).
    document = html_class(string="<html></html>", base_url=base_url)
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    return document


def html_to_pdf(
    html: str,
    *,
    stylesheets: tuple[str, ...] = (),
    extra_css: tuple[str, ...] = (),
    pdf_variant: str | None = None,
    compact_ua: bool = False,
    attachments: Sequence[weasyprint.Attachment] = (),
    finisher: Callable[[Any, Any], None] | None = None,
    xhtml: bool = False,
) -> bytes:
    """Print `html` as PDF with the cached `stylesheets` (paths under templates/), the cached `extra_css`
    (stylesheets as text) and fonts; with `compact_ua`, under the compact user-agent stylesheet.

    `attachments` are embedded files (PDF/A-3 lists them in /AF with their relationship); `finisher`
    (WeasyPrint's hook, called with the document and the pydyf PDF before it is written) may adjust the
    PDF's objects in the same pass, e.g. its metadata (the invoice's Factur-X XMP). With `xhtml`, `html`
    is parsed as XML when it is well-formed (see above)."""
    html_class = _CompactUaHTML if compact_ua else weasyprint.HTML
    base_url = str(settings.BASE_DIR)
    document = (_xhtml_document(html_class, html, base_url) if xhtml else None) or html_class(
        string=html, base_url=base_url
    )
    pdf = document.write_pdf(
        stylesheets=[stylesheet(path) for path in stylesheets]
        + [stylesheet_from_string(css) for css in extra_css],
        font_config=font_config(),
        pdf_variant=pdf_variant,
        attachments=list(attachments) or None,
        finisher=finisher,
    )
    return bytes(pdf or b"")
