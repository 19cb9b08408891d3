"""The German catalogue: complete, well-formed, and what a German cooperative's members actually see."""

from __future__ import annotations

import gettext as gettext_module
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.translation import trans_real

from tests.invoicing_helpers import draft
from tests.projects_helpers import approved_project, make_project

PO = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"gettext's {name} is not installed (apt-get install gettext)")
    return path


def _reset_translation_caches() -> None:
    """Forget catalogues loaded before the .mo was (re)built, so the next request reads the new one."""
    trans_real._translations = {}
    trans_real._default = None
    gettext_module._translations.clear()


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> Iterator[None]:
    """`make test` compiles the catalogues; compile here too when the .mo is missing or older than the .po."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        msgfmt = _gettext_tool("msgfmt")
        tmp = MO.with_name(f"django.{os.getpid()}.mo.tmp")
        subprocess.run([msgfmt, "--check", "-o", str(tmp), str(PO)], check=True)
        os.replace(tmp, MO)  # atomic: parallel test runs never read half a file
        _reset_translation_caches()
    yield


def _entries_apart_from_header(output: str) -> list[str]:
    """msgattrib's output split into entries, without the header entry (msgid "")."""
    blocks = [block for block in output.strip().split("\n\n") if block.strip()]
    return [block for block in blocks if 'msgid ""\nmsgstr ""' not in block or "#:" in block]


# --- the catalogue itself ---------------------------------------------------------------------------


def test_catalogue_is_well_formed() -> None:
    result = subprocess.run(
        [_gettext_tool("msgfmt"), "--check", "--statistics", "-o", os.devnull, str(PO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_catalogue_header_is_german_with_two_plural_forms() -> None:
    header = PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: de\\n"' in header
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert "fuzzy" not in header


@pytest.mark.parametrize("selection", ["--untranslated", "--only-fuzzy"])
def test_catalogue_has_no_untranslated_or_fuzzy_entries(selection: str) -> None:
    result = subprocess.run(
        [_gettext_tool("msgattrib"), selection, str(PO)], capture_output=True, text=True, check=True
    )
    assert _entries_apart_from_header(result.stdout) == []


# --- pages of a German cooperative --------------------------------------------------------------------


@pytest.fixture
def german_coop(coop):
    coop.language = "de"
    coop.save()
    return coop


@pytest.fixture
def member(german_coop, make_member):
    return make_member(german_coop)


@pytest.fixture
def advisor(german_coop, make_member):
    return make_member(german_coop, role="advisor")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"


def test_home_page_of_a_german_cooperative_is_german(member, client_for) -> None:
    response = client_for(member).get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in page
    for german in (
        "Meine Projekte",
        "Abmelden",
        "Sicherheit",
        "Neues Projekt",
        "Kunden",
        "Noch keine Projekte.",
    ):
        assert german in page, german
    for english in ("My projects", "Sign out", "New project", "No projects yet."):
        assert english not in page, english


def test_project_pages_are_german(member, client_for) -> None:
    project = make_project(member.cooperative, member)
    client = client_for(member)

    detail = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    for german in (
        "Statusverlauf",
        "Zur Prüfung einreichen",
        "Dokument hochladen",
        "Mitwirkende",
        "Leistungszeitraum",
        "Vereinbarter Nettobetrag",
        "Entwurf",  # the status badge: a model choice, translated lazily
    ):
        assert german in detail, german
    assert "Status history" not in detail and "Submit for review" not in detail

    form = client.get(reverse("project_update", args=[project.pk])).content.decode()
    assert "Projekt bearbeiten" in form and "Projekt speichern" in form
    assert "Rechtlicher Hinweis zur Steuerbefreiung" in form  # a form label (gettext_lazy)


def test_invoice_pages_are_german(member, advisor, client_for) -> None:
    project = approved_project(member.cooperative, member, advisor)
    client = client_for(member)

    panel = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "Rechnungen" in panel and "Neue Rechnung" in panel and "Genehmigt" in panel

    new = client.get(reverse("invoice_create", args=[project.pk])).content.decode()
    for german in ("Neue Rechnung", "Position hinzufügen", "Leistungsdatum", "Entwurf speichern", "Stunden"):
        assert german in new, german

    invoice = draft(member.cooperative, member, project)
    detail = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    for german in (
        "Rechnungsentwurf",
        "Zur Ausstellung einreichen",
        "Positionen",
        "Einzelpreis",
        "Summe netto",
    ):
        assert german in detail, german


def test_sign_in_page_of_a_german_cooperative_is_german(german_coop) -> None:
    page = Client(HTTP_HOST=german_coop.hosts[0]).get(reverse("account_login")).content.decode()
    nav = page.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("account_login")}">Anmelden</a>' in nav
    assert f'href="{reverse("account_signup")}">Registrieren</a>' in nav


def test_language_switch_shows_english(member, client_for) -> None:
    client = client_for(member)
    assert "Meine Projekte" in client.get(reverse("home")).content.decode()

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    response = client.get(reverse("home"))
    page = response.content.decode()
    assert response["Content-Language"] == "en"
    assert "My projects" in page and "Sign out" in page
    assert "Meine Projekte" not in page and "Abmelden" not in page

    client.post(reverse("set_language"), {"language": "de", "next": reverse("home")})
    assert "Meine Projekte" in client.get(reverse("home")).content.decode()


def test_language_cookie_overrides_the_cooperative_language(member, client_for) -> None:
    client = client_for(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    project = make_project(member.cooperative, member)
    page = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "Status history" in page and "Statusverlauf" not in page


def test_status_words_keep_their_capital_in_german_sentences():
    from django.utils import translation

    from smartprod.core.errors import status_in_sentence

    with translation.override("de"):
        assert status_in_sentence("Entwurf") == "Entwurf"
    with translation.override("en"):
        assert status_in_sentence("Draft") == "draft"
