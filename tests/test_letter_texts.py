"""Letter texts and labels come from the translation catalogue, written in the document's language."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from invoicing.documents import _unit
from invoicing.dunning.letters import _labels
from invoicing.dunning.policy import _default_policy
from invoicing.models import InvoiceLine
from invoicing.vat import legal_note


@pytest.mark.parametrize(
    ("language", "total", "on", "fees_covered"),
    [
        ("de", "Zu zahlender Gesamtbetrag", "auf", "Abgegolten durch die Pauschale (§ 458 UGB)"),
        ("en", "Total to pay", "on", "Covered by the flat-rate recovery costs (§ 458 UGB)"),
    ],
)
def test_dunning_labels_are_in_the_letters_language(language, total, on, fees_covered):
    with translation.override(language):
        labels = _labels()
    assert (labels["total"], labels["on"], labels["fees_covered"]) == (total, on, fees_covered)


def test_default_levels_carry_both_languages_from_the_catalogue():
    with translation.override("en"):  # whatever the request's language, both are written out
        levels = _default_policy()
    assert [(lv["name_de"], lv["name_en"]) for lv in levels] == [
        ("Zahlungserinnerung", "Payment reminder"),
        ("1. Mahnung", "First reminder notice"),
        ("Letzte Mahnung", "Final notice"),
    ]
    assert levels[2]["text_de"].startswith("{salutation}\n\nleider haben Sie auf unsere bisherigen Schreiben")
    assert levels[2]["text_en"].startswith("{salutation}\n\nUnfortunately you have not responded")


def test_invoice_units_are_in_the_documents_language():
    with translation.override("de"):
        assert [_unit(code) for code in ("C62", "HUR", "DAY", "LS", "XYZ")] == [
            "Stk.",
            "Std.",
            "Tag(e)",
            "pauschal",
            "XYZ",
        ]
    with translation.override("en"):
        assert [_unit(code) for code in ("C62", "HUR", "MON")] == ["pcs", "h", "month(s)"]


def test_advisor_hand_over_in_german_uses_sie():
    context = {
        "invoice": SimpleNamespace(number="2026-00001", client_name="ACME GmbH", client_email=""),
        "project": SimpleNamespace(title="Bühnenbild"),
        "owner": SimpleNamespace(user="Erika Muster"),
        "title": "Letzte Mahnung",
        "letter_date": "06.07.2026",
        "labels": {"open_principal": "Offener Rechnungsbetrag", "pay_by": "Zahlbar bis"},
        "values": {"open_amount": "1.000,00 EUR", "total": "1.050,38 EUR", "pay_by": "16.07.2026"},
    }
    with translation.override("de"):
        text = render_to_string("invoicing/email/dunning_advisor.txt", context)
    assert text.startswith(
        "Hallo,\n\ndie Rechnung 2026-00001 an ACME GmbH (Projekt „Bühnenbild“ von Erika Muster) hat die "
        "letzte Mahnstufe erreicht: „Letzte Mahnung“ wurde am 06.07.2026 erstellt und geht an "
        "(keine E-Mail-Adresse – bitte per Post senden).\n\n"
        "Offener Rechnungsbetrag: 1.000,00 EUR\nGefordert insgesamt: 1.050,38 EUR\n"
        "Zahlbar bis: 16.07.2026\n\n"
        "Das automatische Mahnwesen endet hier. Bitte klären Sie mit dem Mitglied"
    )


@pytest.mark.parametrize(
    ("language", "start"),
    [
        (
            "de",
            "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge): Leistungsort im Mitgliedstaat",
        ),
        ("en", "Reverse charge: the place of supply is the recipient's member state (§ 3a (6) Austrian VAT"),
    ],
)
def test_vat_note_is_in_the_documents_language_whatever_the_request_speaks(language, start):
    cooperative = SimpleNamespace(language=language, country="AT")
    invoice = SimpleNamespace(client_vat_id="DE136695976", exemption_note=None)
    lines = [SimpleNamespace(vat_category=InvoiceLine.VatCategory.REVERSE_CHARGE)]
    with translation.override("de" if language == "en" else "en"):
        note = legal_note(cooperative=cooperative, invoice=invoice, lines=lines)
    assert note.startswith(start)
    assert note.endswith(": DE136695976")
