"""Issue 8 #6–#9: OeNB base rates, § 458 UGB flat fee covering reminder costs, itemised letters, consumers.

Invoices are issued on 18 May 2026 with 14 days' terms and fall due on 1 June 2026 (day 0). The default
policy: reminder at +7 (no fee), first notice at +21 (fee 10.00), final notice at +35 (fee 15.00, interest,
€ 40 flat fee towards businesses).
"""

from __future__ import annotations

import importlib
import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core import mail
from pypdf import PdfReader

from invoicing.dunning import dunning_policy, run_dunning
from invoicing.lib.interest import b2b_rate_for
from invoicing.models import BaseRate, DunningLevel, DunningNotice
from invoicing.reference_data import AT_BASE_RATES, correct_base_rates
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project, make_client

ISSUED_ON = date(2026, 5, 18)
DUE = date(2026, 6, 1)


def day(n: int) -> date:
    return DUE + timedelta(days=n)


@pytest.fixture
def people(coop, make_member):
    return SimpleNamespace(owner=make_member(coop), advisor=make_member(coop, "advisor"))


def _project(coop, people, **client):
    return approved_project(
        coop, people.owner, people.advisor, client=make_client(coop, people.owner, **client)
    )


def _consumer(coop, people, agreed=False):
    return _project(
        coop,
        people,
        name="Anna Berger",
        kind="consumer",
        vat_id="",
        email="anna@example.org",
        reminder_fees_agreed=agreed,
    )


def _invoice(coop, people, project):
    invoice = issued(
        coop, people.owner, people.advisor, project, ("Stage design", "1", "833.33", "20"), on=ISSUED_ON
    )
    assert invoice.due_date == DUE
    return invoice


@pytest.fixture
def run(coop, django_capture_on_commit_callbacks):
    def go(*days: int) -> None:
        for n in days:
            with django_capture_on_commit_callbacks(execute=True):
                run_dunning(as_of=day(n), cooperative=coop)

    return go


def _notice(coop, invoice, level):
    return DunningNotice.objects.for_cooperative(coop).get(invoice=invoice, level=level)


def _pdf_text(notice) -> str:
    with notice.pdf.open("rb") as stored:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)


def _mails_to(address):
    return [m for m in mail.outbox if m.to == [address] and m.attachments]


# --- #6 base rates ------------------------------------------------------------------------------------


def test_seeded_base_rates_are_the_oenb_series(db):
    rows = list(
        BaseRate.objects.filter(country="AT", valid_from__gte=date(2022, 1, 1))
        .order_by("valid_from")
        .values_list("valid_from", "rate")
    )

    assert rows == [
        (date(2022, 7, 27), Decimal("-0.120")),
        (date(2022, 9, 14), Decimal("0.630")),
        (date(2022, 11, 2), Decimal("1.380")),
        (date(2022, 12, 21), Decimal("1.880")),
        (date(2023, 2, 8), Decimal("2.380")),
        (date(2023, 3, 22), Decimal("2.880")),
        (date(2023, 6, 21), Decimal("3.380")),
        (date(2023, 9, 20), Decimal("3.880")),
        (date(2024, 9, 18), Decimal("3.030")),
        (date(2024, 12, 18), Decimal("2.530")),
        (date(2025, 3, 12), Decimal("2.030")),
        (date(2025, 6, 11), Decimal("1.530")),
    ]


def test_b2b_rate_for_the_second_half_of_2024_uses_3_88(db):
    # § 456 UGB: the base rate on 30 Jun 2024 governs Jul–Dec 2024. It was 3.88 % (from 20 Sep 2023 to
    # 17 Sep 2024); the old table had a made-up 3.63 % from 12 Jun 2024. 3.88 + 9.2 = 13.08.
    rates = list(BaseRate.objects.filter(country="AT").values_list("valid_from", "rate"))

    assert b2b_rate_for(date(2024, 8, 1), rates) == Decimal("13.080")
    assert b2b_rate_for(date(2025, 8, 1), rates) == Decimal("10.730")  # 1.53 on 30 Jun 2025


def test_migration_removes_invented_rows_and_leaves_sent_letters_alone(coop, people, run):
    # The database as the old seed left it: "MRO − 0.62" rows on days the base rate never changed.
    invented = {
        date(2023, 5, 10): "3.130",
        date(2023, 8, 2): "3.630",
        date(2024, 6, 12): "3.630",
        date(2024, 10, 23): "2.780",
        date(2025, 2, 5): "2.280",
        date(2025, 4, 23): "1.780",
    }
    for start, rate in invented.items():
        BaseRate.objects.create(country="AT", valid_from=start, rate=Decimal(rate))
    BaseRate.objects.filter(country="AT", valid_from=date(2023, 9, 20)).update(rate=Decimal("3.630"))
    invoice = _invoice(coop, people, _project(coop, people))
    run(7, 21, 35)
    final = _notice(coop, invoice, 3)
    claimed = (final.interest, final.total_claimed, final.interest_detail, final.fee_detail)

    migration = importlib.import_module("invoicing.migrations.0008_base_rates_corrected")
    migration.correct(django_apps, None)

    assert not BaseRate.objects.filter(country="AT", valid_from__in=list(invented)).exists()
    assert BaseRate.objects.get(country="AT", valid_from=date(2023, 9, 20)).rate == Decimal("3.880")
    assert BaseRate.objects.filter(country="AT").count() == len(AT_BASE_RATES)
    final.refresh_from_db()
    assert (final.interest, final.total_claimed, final.interest_detail, final.fee_detail) == claimed
    correct_base_rates(BaseRate)  # twice is harmless
    assert BaseRate.objects.filter(country="AT").count() == len(AT_BASE_RATES)


# --- #7 B2B: the flat fee covers the reminder costs ----------------------------------------------------


def test_b2b_fees_are_claimed_only_beyond_the_flat_fee(coop, people, run):
    # Costs per letter 30.00 (1st notice) and 25.00 (final): at level 2 30.00 ≤ 40.00 → no fee; at level 3
    # 55.00 − 40.00 = 15.00 fee + 40.00 flat fee (+ interest 10.73 % on 1,000.00 for 2 Jun–6 Jul 2026:
    # 29 days 8.53 + 6 days 10.73 % 1.76 = 10.29).
    dunning_policy(cooperative=coop)
    DunningLevel.objects.for_cooperative(coop).filter(level=2).update(fee=Decimal("30.00"))
    DunningLevel.objects.for_cooperative(coop).filter(level=3).update(fee=Decimal("25.00"))
    invoice = _invoice(coop, people, _project(coop, people))

    run(7, 21, 35)

    second, final = _notice(coop, invoice, 2), _notice(coop, invoice, 3)
    assert (second.fee, second.flat_fee, second.total_claimed, second.fee_detail) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("1000.00"),
        [],
    )
    assert (final.fee, final.interest, final.flat_fee, final.total_claimed) == (
        Decimal("15.00"),
        Decimal("10.29"),
        Decimal("40.00"),
        Decimal("1065.29"),
    )
    assert [item["amount"] for item in final.fee_detail] == ["30.00", "25.00"]


# --- #8 the letter lists every claimed item and its text says what the total is -----------------------


def test_b2b_final_notice_lists_each_item_and_names_no_fee_it_does_not_claim(coop, people, run):
    coop.language = "de"
    coop.save(update_fields=["language"])
    invoice = _invoice(coop, people, _project(coop, people, email="office@acme.example"))

    run(7, 21, 35)

    final = _notice(coop, invoice, 3)
    body = _mails_to("office@acme.example")[-1].body
    text = " ".join(_pdf_text(final).split())
    sentence = (
        "Der Gesamtbetrag umfasst den offenen Rechnungsbetrag, die gesetzlichen Verzugszinsen und die "
        "Pauschale für Betreibungskosten (§ 458 UGB); die Aufstellung finden Sie unten."
    )
    assert sentence in " ".join(body.split())
    assert sentence in text
    assert "die Mahngebühr" not in body
    for line in (
        "Offener Rechnungsbetrag: 1.000,00 EUR",
        "  Mahngebühr – 1. Mahnung: 10,00 EUR",
        "  Mahngebühr – Letzte Mahnung: 15,00 EUR",
        "  Abgegolten durch die Pauschale (§ 458 UGB): − 25,00 EUR",
        "Verzugszinsen: 10,29 EUR",
        "  02.06.2026 – 30.06.2026 · 29 Tage · 10,73 % p. a. auf 1.000,00 EUR: 8,53 EUR",
        "  01.07.2026 – 06.07.2026 · 6 Tage · 10,73 % p. a. auf 1.000,00 EUR: 1,76 EUR",
        "Pauschale Betreibungskosten (§ 458 UGB): 40,00 EUR",
        "Zu zahlender Gesamtbetrag: 1.050,29 EUR",
    ):
        assert line in body.splitlines(), line
    for part in ("Abgegolten durch die Pauschale (§ 458 UGB) − 25,00 EUR", "1.050,29 EUR", "8,53 EUR"):
        assert part in text
    assert (final.fee, final.interest, final.flat_fee, final.total_claimed) == (
        Decimal("0.00"),
        Decimal("10.29"),
        Decimal("40.00"),
        Decimal("1050.29"),
    )


# --- #9 consumers ---------------------------------------------------------------------------------------


def test_consumer_without_agreement_pays_no_reminder_fees(coop, people, run):
    invoice = _invoice(coop, people, _consumer(coop, people))

    run(7, 21, 35)

    notices = DunningNotice.objects.for_cooperative(coop).filter(invoice=invoice).order_by("level")
    assert [(n.level, n.fee, n.flat_fee) for n in notices] == [
        (1, Decimal("0.00"), Decimal("0.00")),
        (2, Decimal("0.00"), Decimal("0.00")),
        (3, Decimal("0.00"), Decimal("0.00")),
    ]
    second = _mails_to("anna@example.org")[1].body
    assert "The total is the open invoice amount." in second
    assert "reminder fee" not in second.lower()


def test_consumer_with_agreed_fees_pays_each_letters_fee(coop, people, run):
    # Agreed: 1st notice 10.00; final notice 10.00 + 15.00 = 25.00; interest 4 %: 3.18 + 0.66 = 3.84.
    invoice = _invoice(coop, people, _consumer(coop, people, agreed=True))

    run(7, 21, 35)

    second, final = _notice(coop, invoice, 2), _notice(coop, invoice, 3)
    assert (second.fee, second.total_claimed) == (Decimal("10.00"), Decimal("1010.00"))
    assert (final.fee, final.interest, final.flat_fee, final.total_claimed) == (
        Decimal("25.00"),
        Decimal("3.84"),
        Decimal("0.00"),
        Decimal("1028.84"),
    )
    body = _mails_to("anna@example.org")[-1].body
    assert "Reminder fee – First reminder notice: EUR 10.00" in body
    assert "Reminder fee – Final notice: EUR 15.00" in body
    assert (
        "The total consists of the open invoice amount, the reminder fees and statutory default interest"
        in (" ".join(body.split()))
    )


def test_consumer_letters_greet_by_name_without_domestic_country_and_say_interest_runs(coop, people, run):
    coop.language = "de"
    coop.save(update_fields=["language"])
    invoice = _invoice(coop, people, _consumer(coop, people))

    run(7, 21, 35)

    letters = _mails_to("anna@example.org")
    assert len(letters) == 3
    for letter in letters:
        assert letter.body.startswith("Guten Tag Anna Berger,")
        assert "bis zum Eingang Ihrer Zahlung weiter" in letter.body
    assert (
        "Ab dem Tag nach der Fälligkeit fallen gesetzliche Verzugszinsen (4 % p. a., § 1000 Abs. 1 ABGB)"
        in (letters[0].body)
    )
    assert (
        "Die Verzugszinsen (4 % p. a., § 1000 Abs. 1 ABGB) sind bis 06.07.2026 berechnet" in letters[2].body
    )
    text = _pdf_text(_notice(coop, invoice, 1))
    lines = [line.strip() for line in text.splitlines()]
    assert "Guten Tag Anna Berger," in lines
    assert "1010 Wien" in lines
    assert "AT" not in lines
    assert "Sehr geehrte Damen und Herren," not in text


def test_business_letter_keeps_a_foreign_country_line(coop, people, run):
    invoice = _invoice(
        coop,
        people,
        _project(
            coop, people, street="Hauptstr. 5", postcode="80331", city="München", country="DE", vat_id=""
        ),
    )

    run(7)

    lines = [line.strip() for line in _pdf_text(_notice(coop, invoice, 1)).splitlines()]
    assert "Dear Sir or Madam," in lines
    assert "80331 München" in lines
    assert "DE" in lines


def test_migration_puts_placeholders_into_stored_default_texts(coop):
    old_de = (
        "Sehr geehrte Damen und Herren,\n\nFür diese Mahnung berechnen wir eine Mahngebühr von {fee}. Wir "
        "ersuchen Sie, den Gesamtbetrag von {total} zu überweisen."
    )
    own = "Liebe Kundschaft,\n\nbitte zahlen Sie {total}."
    DunningLevel.objects.create(
        cooperative=coop, level=2, name_de="1. Mahnung", name_en="Notice", days_after_due=21,
        text_de=old_de, text_en=own,
    )  # fmt: skip
    migration = importlib.import_module("invoicing.migrations.0007_dunning_notice_fee_detail")

    migration.use_placeholders(django_apps, None)

    level = DunningLevel.objects.for_cooperative(coop).get(level=2)
    assert level.text_de == (
        "{salutation}\n\n{composition} Wir ersuchen Sie, den Gesamtbetrag von {total} zu überweisen."
    )
    assert level.text_en == own


def test_client_flag_is_off_by_default_and_editable_in_form_and_api(coop, people, api_for, client_for):
    response = api_for(people.owner).post(
        "/api/clients/",
        {"name": "Eva Huber", "kind": "consumer", "street": "Gasse 2", "postcode": "1020", "city": "Wien"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["reminder_fees_agreed"] is False
    created = api_for(people.owner).post(
        "/api/clients/",
        {
            "name": "Max Gruber",
            "kind": "consumer",
            "street": "Gasse 3",
            "postcode": "1020",
            "city": "Wien",
            "reminder_fees_agreed": True,
        },
        format="json",
    )
    assert created.json()["reminder_fees_agreed"] is True
    page = client_for(people.owner).get("/clients/new/")
    assert b'name="reminder_fees_agreed"' in page.content
