"""Dunning: each level once, on its day, stopped by payment, credit note, write-off or a block; the claim.

Invoices are issued on 18 May 2026 with 14 days' terms, so they fall due on 1 June 2026 (day 0 below).
"""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from pypdf import PdfReader

from invoicing import services
from invoicing.dunning import (
    dunning_candidates,
    dunning_policy,
    dunning_send_letter,
    run_dunning,
)
from invoicing.dunning_tasks import send_dunning_letter_task
from invoicing.lib.rf import rf_format
from invoicing.models import BaseRate, DunningLevel, DunningNotice, Invoice
from projects.models import JournalEntry, Project
from smartprod.core.models import Notification
from smartprod.core.notifications import render
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project, make_client

ISSUED_ON = date(2026, 5, 18)
DUE = date(2026, 6, 1)
CLIENT_EMAIL = "buchhaltung@acme.example"


def day(n: int) -> date:
    return DUE + timedelta(days=n)


@pytest.fixture
def people(coop, make_member):
    return SimpleNamespace(
        owner=make_member(coop),
        advisor=make_member(coop, "advisor"),
        finance=make_member(coop, "finance"),
    )


@pytest.fixture
def project(coop, people):
    client = make_client(coop, people.owner, email=CLIENT_EMAIL)
    return approved_project(coop, people.owner, people.advisor, client=client)


@pytest.fixture
def consumer_project(coop, people):
    client = make_client(
        coop, people.owner, name="Anna Berger", kind="consumer", vat_id="", email="anna@example.org"
    )
    return approved_project(coop, people.owner, people.advisor, client=client)


@pytest.fixture
def base_rates(db):
    """The OeNB base rate was 1.530 % from 11 June 2025; assume it rises to 2.030 % on 1 April 2026.

    § 456 UGB: the rate on the last day of a half-year governs the next one, so the first half of 2026
    uses 1.530 + 9.2 = 10.73 % and the second half 2.030 + 9.2 = 11.23 %.
    """
    BaseRate.objects.filter(country="AT", valid_from__gt=date(2025, 6, 11)).delete()
    BaseRate.objects.update_or_create(country="AT", valid_from=date(2025, 6, 11), defaults={"rate": "1.530"})
    BaseRate.objects.create(country="AT", valid_from=date(2026, 4, 1), rate=Decimal("2.030"))


def _invoice(coop, people, project, net="833.33"):
    """Net 833.33 + 20 % VAT 166.67 = 1,000.00 gross, due on DUE."""
    invoice = issued(
        coop, people.owner, people.advisor, project, ("Stage design", "1", net, "20"), on=ISSUED_ON
    )
    assert invoice.due_date == DUE
    return invoice


def _fresh(invoice):
    return Invoice.objects.for_cooperative(invoice.cooperative).get(pk=invoice.pk)


def _notices(coop, invoice=None):
    qs = DunningNotice.objects.for_cooperative(coop)
    if invoice is not None:
        qs = qs.filter(invoice=invoice)
    return list(qs.order_by("invoice_id", "level"))


def _letters(to=CLIENT_EMAIL):
    return [m for m in mail.outbox if m.to == [to] and m.attachments]


@pytest.fixture
def run(coop, django_capture_on_commit_callbacks):
    """run_dunning as the daily job would: callbacks after each commit (the letter tasks) really run."""

    def go(as_of: date):
        with django_capture_on_commit_callbacks(execute=True):
            return run_dunning(as_of=as_of, cooperative=coop)

    return go


def test_default_policy_is_created_once_on_first_use(coop):
    levels = dunning_policy(cooperative=coop)
    again = dunning_policy(cooperative=coop)

    assert [(lv.level, lv.name_de, lv.name_en, lv.days_after_due, lv.fee) for lv in levels] == [
        (1, "Zahlungserinnerung", "Payment reminder", 7, Decimal("0.00")),
        (2, "1. Mahnung", "First reminder notice", 21, Decimal("10.00")),
        (3, "Letzte Mahnung", "Final notice", 35, Decimal("15.00")),
    ]
    assert [(lv.charges_interest, lv.charges_flat_fee_b2b, lv.hands_to_advisor) for lv in levels] == [
        (False, False, False),
        (False, False, False),
        (True, True, True),
    ]
    assert [lv.pk for lv in again] == [lv.pk for lv in levels]
    for level in levels:
        for placeholder in ("{open_amount}", "{rf_reference}", "{due_date}", "{pay_by}"):
            assert placeholder in level.text_de
            assert placeholder in level.text_en
        assert "10 Tagen" in level.text_de
        assert "10 days" in level.text_en


def test_levels_advance_on_their_days_and_the_last_hands_over(coop, people, project, base_rates, run):
    invoice = _invoice(coop, people, project)
    steps = []
    for n in (6, 7, 8, 20, 21, 34, 35, 36, 60):
        result = run(day(n))
        steps.append((n, result.notices_created, dict(result.per_level), _fresh(invoice).dunning_level))

    assert steps == [
        (6, 0, {}, 0),
        (7, 1, {1: 1}, 1),
        (8, 0, {}, 1),
        (20, 0, {}, 1),
        (21, 1, {2: 1}, 2),
        (34, 0, {}, 2),
        (35, 1, {3: 1}, 3),
        (36, 0, {}, 3),
        (60, 0, {}, 3),
    ]
    # B2B: the € 40 flat fee (§ 458 UGB) covers the reminder costs of 10.00 + 15.00: no fee is claimed.
    assert [(n.level, n.as_of, n.fee, n.flat_fee) for n in _notices(coop)] == [
        (1, day(7), Decimal("0.00"), Decimal("0.00")),
        (2, day(21), Decimal("0.00"), Decimal("0.00")),
        (3, day(35), Decimal("0.00"), Decimal("40.00")),
    ]
    assert all(n.sent_at is not None for n in _notices(coop))
    assert [m.subject for m in _letters()] == [
        "Payment reminder – Invoice 2026-00001",
        "First reminder notice – Invoice 2026-00001",
        "Final notice – Invoice 2026-00001",
    ]
    handed = _fresh(invoice)
    assert handed.handed_to_advisor_at is not None
    (to_advisor,) = [m for m in mail.outbox if m.to == [people.advisor.user.email]]
    assert "2026-00001" in to_advisor.subject
    assert "last dunning level" in to_advisor.body


def test_handover_without_project_advisor_mails_the_cooperatives_advisors(
    coop, people, project, base_rates, run, make_member
):
    second_advisor = make_member(coop, "advisor")
    Project.objects.for_cooperative(coop).filter(pk=project.pk).update(advisor=None)
    invoice = _invoice(coop, people, project)
    Invoice.objects.for_cooperative(coop).filter(pk=invoice.pk).update(dunning_level=2)

    result = run(day(35))

    assert result.handed_to_advisor == 1
    (handover,) = [m for m in mail.outbox if "last dunning level" in m.body]
    assert sorted(handover.to) == sorted([people.advisor.user.email, second_advisor.user.email])


def test_second_run_on_the_same_day_sends_nothing_more(coop, people, project, run):
    invoice = _invoice(coop, people, project)

    first = run(day(7))
    second = run(day(7))

    assert (first.examined, first.notices_created) == (1, 1)
    assert (second.examined, second.notices_created) == (0, 0)
    assert len(_notices(coop, invoice)) == 1
    assert len(_letters()) == 1
    # The project's owner hears of the reminder once, by name of the invoice and project.
    (notice,) = Notification.objects.for_cooperative(coop).filter(kind="invoice.dunning")
    assert notice.recipient_id == people.owner.user_id
    assert (notice.params["number"], notice.params["title"], notice.params["level"]) == (
        invoice.number,
        project.title,
        "1",
    )
    subject = render(notice)[0]
    assert [m.subject for m in mail.outbox if m.to == [people.owner.user.email]].count(subject) == 1


def test_letter_task_run_twice_sends_one_email(coop, people, project):
    _invoice(coop, people, project)
    run_dunning(as_of=day(7), cooperative=coop)  # the letter task waits for the commit: not sent yet
    (notice,) = _notices(coop)

    send_dunning_letter_task.apply(kwargs={"cooperative_id": coop.pk, "notice_id": notice.pk})
    send_dunning_letter_task.apply(kwargs={"cooperative_id": coop.pk, "notice_id": notice.pk})

    assert len(_letters()) == 1
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert notice.send_attempts == 1
    assert notice.pdf.name == f"coop-{coop.pk}/dunning/2026-00001-1.pdf"
    assert default_storage.exists(notice.pdf.name)


def test_catch_up_after_an_outage_moves_one_level_per_run(coop, people, project, base_rates, run):
    invoice = _invoice(coop, people, project)

    levels = []
    for n in (40, 40, 41, 42, 43):
        run(day(n))
        levels.append(_fresh(invoice).dunning_level)

    assert levels == [1, 1, 2, 3, 3]
    assert [n.level for n in _notices(coop)] == [1, 2, 3]


@pytest.mark.parametrize("how", ["paid", "credited", "written_off", "blocked"])
def test_no_notice_for_settled_or_blocked_invoices(coop, people, project, run, how):
    invoice = _invoice(coop, people, project)
    if how == "paid":
        services.payment_record(
            cooperative=coop, actor=people.finance, invoice=invoice, amount="1000.00", date=day(3)
        )
    elif how == "credited":
        services.credit_note_issue(
            cooperative=coop, actor=people.advisor, invoice=invoice, reason="Cancelled", on=day(2)
        )
    elif how == "written_off":
        services.invoice_write_off(
            cooperative=coop, actor=people.finance, invoice=invoice, reason="Insolvent", on=day(2)
        )
    else:
        services.invoice_set_dunning_block(
            cooperative=coop, actor=people.advisor, invoice=invoice, blocked=True, reason="Disputed"
        )
    mail.outbox.clear()

    results = [run(day(n)) for n in (7, 21, 35)]

    assert [r.notices_created for r in results] == [0, 0, 0]
    assert _notices(coop) == []
    assert _letters() == []
    assert _fresh(invoice).dunning_level == 0


@pytest.mark.parametrize("how", ["paid", "credited", "written_off", "blocked"])
def test_letter_not_sent_when_invoice_settled_or_blocked_after_the_notice(coop, people, project, how):
    invoice = _invoice(coop, people, project)
    run_dunning(as_of=day(7), cooperative=coop)  # notice created, letter task waits for the commit
    (notice,) = _notices(coop)
    if how == "paid":
        services.payment_record(
            cooperative=coop, actor=people.finance, invoice=invoice, amount="1000.00", date=day(8)
        )
    elif how == "credited":
        services.credit_note_issue(
            cooperative=coop, actor=people.advisor, invoice=invoice, reason="Cancelled", on=day(8)
        )
    elif how == "written_off":
        services.invoice_write_off(
            cooperative=coop, actor=people.finance, invoice=invoice, reason="Insolvent", on=day(8)
        )
    else:
        services.invoice_set_dunning_block(
            cooperative=coop, actor=people.advisor, invoice=invoice, blocked=True, reason="Disputed"
        )

    dunning_send_letter(cooperative_id=coop.pk, notice_id=notice.pk)

    notice.refresh_from_db()
    assert notice.sent_at is None
    assert notice.send_error.startswith("Not sent:")
    assert _letters() == []


def test_payment_after_the_reminder_stops_further_levels(coop, people, project, run):
    invoice = _invoice(coop, people, project)
    run(day(7))
    services.payment_record(
        cooperative=coop, actor=people.finance, invoice=invoice, amount="1000.00", date=day(9)
    )

    later = [run(day(n)).notices_created for n in (21, 35, 50)]

    assert later == [0, 0, 0]
    assert [n.level for n in _notices(coop)] == [1]
    assert len(_letters()) == 1


def _to_level_3(run, invoice):
    for n in (7, 21, 35):
        run(day(n))
    return _notices(invoice.cooperative, invoice)[-1]


def test_final_notice_claims_b2b_interest_over_a_half_year_boundary(coop, people, project, base_rates, run):
    # (a) B2B, 1,000.00 open from the due date 1 June 2026 to as_of 6 July 2026 (day 35):
    #   2 Jun–30 Jun 2026: 29 days × 10.73 % (1.530 + 9.2): 1000 × 10.73 × 29 / 36500 = 8.5252… → 8.53
    #   1 Jul– 6 Jul 2026:  6 days × 11.23 % (2.030 + 9.2): 1000 × 11.23 ×  6 / 36500 = 1.8460… → 1.85
    #   interest 8.53 + 1.85 = 10.38
    #   reminder costs 10.00 (1st notice) + 15.00 (final) = 25.00 ≤ 40.00: covered by the flat fee, fee 0.00
    #   total = 1000.00 principal + 0.00 fee + 10.38 interest + 40.00 flat fee (B2B) = 1050.38
    invoice = _invoice(coop, people, project)
    journal_before = JournalEntry.objects.for_cooperative(coop).count()

    notice = _to_level_3(run, invoice)

    assert (notice.open_principal, notice.fee, notice.interest, notice.flat_fee, notice.total_claimed) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("10.38"),
        Decimal("40.00"),
        Decimal("1050.38"),
    )
    assert notice.fee_detail == [
        {"level": 2, "name_de": "1. Mahnung", "name_en": "First reminder notice", "amount": "10.00"},
        {"level": 3, "name_de": "Letzte Mahnung", "name_en": "Final notice", "amount": "15.00"},
    ]
    assert notice.interest_detail == [
        {
            "start": "2026-06-02",
            "end": "2026-06-30",
            "days": 29,
            "principal": "1000.00",
            "rate": "10.730",
            "amount": "8.53",
        },
        {
            "start": "2026-07-01",
            "end": "2026-07-06",
            "days": 6,
            "principal": "1000.00",
            "rate": "11.230",
            "amount": "1.85",
        },
    ]
    # The claim lives on the notice only: the invoice and the ledger are untouched.
    after = _fresh(invoice)
    assert (after.gross_total, after.open_amount, after.status) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
        Invoice.Status.ISSUED,
    )
    assert JournalEntry.objects.for_cooperative(coop).count() == journal_before


def test_final_notice_interest_follows_a_partial_payment(coop, people, project, base_rates, run):
    # (b) B2B, 1,000.00 due 1 June 2026; 400.00 paid on 16 June 2026 (between level 1 and 2); as_of 6 July:
    #   2 Jun–15 Jun: 14 days on 1000.00 × 10.73 %: 1000 × 10.73 × 14 / 36500 = 4.1156… → 4.12
    #  16 Jun–30 Jun: 15 days on  600.00 × 10.73 %:  600 × 10.73 × 15 / 36500 = 2.6457… → 2.65
    #   1 Jul– 6 Jul:  6 days on  600.00 × 11.23 %:  600 × 11.23 ×  6 / 36500 = 1.1076… → 1.11
    #   interest 4.12 + 2.65 + 1.11 = 7.88; fees covered by the flat fee:
    #   total = 600.00 + 7.88 + 40.00 = 647.88
    invoice = _invoice(coop, people, project)
    run(day(7))
    services.payment_record(
        cooperative=coop, actor=people.finance, invoice=invoice, amount="400.00", date=date(2026, 6, 16)
    )
    assert _fresh(invoice).status == Invoice.Status.PARTIALLY_PAID
    run(day(21))
    run(day(35))

    notice = _notices(coop, invoice)[-1]

    assert notice.level == 3
    assert [(s["start"], s["end"], s["principal"], s["amount"]) for s in notice.interest_detail] == [
        ("2026-06-02", "2026-06-15", "1000.00", "4.12"),
        ("2026-06-16", "2026-06-30", "600.00", "2.65"),
        ("2026-07-01", "2026-07-06", "600.00", "1.11"),
    ]
    assert (notice.open_principal, notice.interest, notice.flat_fee, notice.total_claimed) == (
        Decimal("600.00"),
        Decimal("7.88"),
        Decimal("40.00"),
        Decimal("647.88"),
    )


def test_final_notice_to_a_consumer_claims_4_percent_and_no_flat_fee(
    coop, people, consumer_project, base_rates, run
):
    # (c) B2C, 1,000.00 open, 4 % p.a. (§ 1000 ABGB), still cut at the half-year:
    #   2 Jun–30 Jun: 29 days: 1000 × 4 × 29 / 36500 = 3.1780… → 3.18
    #   1 Jul– 6 Jul:  6 days: 1000 × 4 ×  6 / 36500 = 0.6575… → 0.66
    #   interest 3.84; no € 40 flat fee towards consumers; no reminder fees (none agreed):
    #   total = 1000.00 + 3.84 = 1003.84
    invoice = _invoice(coop, people, consumer_project)
    assert invoice.client_is_business is False

    notice = _to_level_3(run, invoice)

    assert [s["rate"] for s in notice.interest_detail] == ["4", "4"]
    assert (notice.fee, notice.interest, notice.flat_fee, notice.total_claimed) == (
        Decimal("0.00"),
        Decimal("3.84"),
        Decimal("0.00"),
        Decimal("1003.84"),
    )
    assert notice.fee_detail == []


def test_final_notice_letter_shows_number_total_and_reference(coop, people, project, base_rates, run):
    invoice = _invoice(coop, people, project)
    mail.outbox.clear()

    notice = _to_level_3(run, invoice)

    final = _letters()[-1]
    assert final.subject == "Final notice – Invoice 2026-00001"
    (name, content, mimetype) = final.attachments[0]
    assert (name, mimetype) == ("2026-00001-3.pdf", "application/pdf")
    with default_storage.open(notice.pdf.name, "rb") as stored:
        assert stored.read() == content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Final notice" in text
    assert "2026-00001" in text
    assert "EUR 1,050.38" in text
    assert "EUR 40.00" in text  # the flat fee line
    assert invoice.rf_reference in "".join(text.split())
    assert "16 July 2026" in text  # pay by: as_of 6 July + 10 days
    assert rf_format(invoice.rf_reference) in final.body
    assert "EUR 1,050.38" in final.body


def test_letter_is_written_in_the_cooperatives_language(coop, people, project, base_rates, run):
    coop.language = "de"
    coop.save(update_fields=["language"])
    invoice = _invoice(coop, people, project)
    mail.outbox.clear()

    _to_level_3(run, invoice)

    final = _letters()[-1]
    assert final.subject == "Letzte Mahnung – Rechnung 2026-00001"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(final.attachments[0][1])).pages)
    assert "1.050,38 EUR" in text
    assert "Verzugszinsen" in text
    assert "16.07.2026" in text
    assert "innerhalb von 10 Tagen" in final.body


def test_candidate_query_can_use_the_partial_index(coop, people, project):
    levels = dunning_policy(cooperative=coop)
    query = dunning_candidates(cooperative=coop, levels=levels, as_of=day(7)).values_list("pk", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: make the planner show what it can use
        plan = query.explain()
        cursor.execute("SET LOCAL enable_seqscan = on")

    assert "invoice_open_due" in plan


def test_run_dunning_command_runs_as_of_the_given_date(coop, people, project):
    invoice = _invoice(coop, people, project)
    out = io.StringIO()

    call_command("run_dunning", "--date", day(7).isoformat(), stdout=out)

    assert "Dunning as of 2026-06-08" in out.getvalue()
    assert "1 invoice(s) examined, 1 notice(s) created (level 1: 1)" in out.getvalue()
    assert _fresh(invoice).dunning_level == 1
    with pytest.raises(CommandError, match="not a date"):
        call_command("run_dunning", "--date", "8.6.2026", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_level_once(coop, people, project):
    # Day 40 after an outage: levels 1 and 2 are both due, yet each invoice gets only the reminder today,
    # whichever run locks it first, and the other run neither repeats it nor adds level 2 on the same day.
    invoices = [_invoice(coop, people, project) for _ in range(6)]
    dunning_policy(cooperative=coop)
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def go() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(run_dunning(as_of=day(40), cooperative=coop))
        except Exception as exc:  # surfaced by the asserts below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert sum(r.notices_created for r in results) == 6
    assert sum(r.errors for r in results) == 0
    notices = _notices(coop)
    assert sorted((n.invoice_id, n.level) for n in notices) == sorted((i.pk, 1) for i in invoices)
    assert all(n.sent_at is not None for n in notices)
    letters = _letters()
    assert len(letters) == 6
    assert sorted(m.attachments[0][0] for m in letters) == [f"{i.number}-1.pdf" for i in invoices]
    assert DunningLevel.objects.for_cooperative(coop).count() == 3


def test_letter_to_a_client_without_email_is_stored_for_posting(coop, people, run):
    client = make_client(coop, people.owner, name="Offline KG", email="")
    project = approved_project(coop, people.owner, people.advisor, client=client)
    _invoice(coop, people, project)

    run(day(7))
    run(day(7))

    (notice,) = _notices(coop)
    assert notice.sent_at is None
    assert notice.send_error.startswith("Not sent: the client has no e-mail address")
    assert notice.pdf.name == f"coop-{coop.pk}/dunning/2026-00001-1.pdf"
    assert default_storage.exists(notice.pdf.name)
    assert [m for m in mail.outbox if m.attachments] == []
