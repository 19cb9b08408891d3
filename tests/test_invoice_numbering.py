"""Gapless invoice numbers under concurrency: real threads, real PostgreSQL transactions, forced rollbacks."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from invoicing import services
from invoicing.models import Invoice
from invoicing.services import issue
from smartprod.core.models import NumberCounter
from tests.factories import CooperativeFactory, MembershipFactory, enable_totp
from tests.invoicing_helpers import draft
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


def _setup(n: int):
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    enable_totp(finance.user)
    project = approved_project(coop, owner, advisor)
    invoices = []
    for _ in range(n):
        invoice = draft(coop, owner, project)
        services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
        invoices.append(invoice)
    return coop, advisor, finance, invoices


def _run_concurrently(jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job):
        def run():
            try:
                barrier.wait()
                job()
            except Rollback:
                pass
            except BaseException as exc:  # reported to the test
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(job)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_twenty_concurrent_issues_with_rollbacks_leave_no_gap(monkeypatch):
    coop, advisor, finance, invoices = _setup(26)
    original_post = issue._journal_post
    doomed = {inv.pk for inv in invoices[::4]}  # every fourth issue fails after taking its number

    def failing_post(**kwargs):
        result = original_post(**kwargs)
        source = kwargs.get("source")
        if source is not None and source.pk in doomed:
            raise Rollback  # the whole durable transaction rolls back: number, counter, ledger
        return result

    monkeypatch.setattr(issue, "_journal_post", failing_post)
    on = date(2026, 6, 1)
    jobs = [
        lambda inv=inv, who=(advisor if i % 2 else finance): services.invoice_issue(
            cooperative=coop, actor=who, invoice=inv, on=on
        )
        for i, inv in enumerate(invoices)
    ]
    assert _run_concurrently(jobs) == []

    issued = Invoice.objects.for_cooperative(coop).filter(status="issued")
    numbers = sorted(int(n.split("-")[1]) for n in issued.values_list("number", flat=True))
    assert len(numbers) == len(invoices) - len(doomed) == 19
    assert numbers == list(range(1, len(numbers) + 1))  # consecutive: no gap, no duplicate
    assert NumberCounter.objects.for_cooperative(coop).get(series="invoice", year=2026).last_number == len(
        numbers
    )
    assert not Invoice.objects.for_cooperative(coop).filter(pk__in=doomed).exclude(number=None).exists()


def test_series_are_per_cooperative_and_year():
    coop_a, advisor_a, _f, invoices_a = _setup(3)
    coop_b, advisor_b, _f2, invoices_b = _setup(2)
    jobs = [
        lambda inv=inv: services.invoice_issue(
            cooperative=coop_a, actor=advisor_a, invoice=inv, on=date(2026, 12, 31)
        )
        for inv in invoices_a[:2]
    ]
    jobs += [
        lambda inv=inv: services.invoice_issue(
            cooperative=coop_b, actor=advisor_b, invoice=inv, on=date(2026, 12, 31)
        )
        for inv in invoices_b
    ]
    assert _run_concurrently(jobs) == []
    services.invoice_issue(cooperative=coop_a, actor=advisor_a, invoice=invoices_a[2], on=date(2027, 1, 1))
    a = sorted(
        str(n)
        for n in Invoice.objects.for_cooperative(coop_a).exclude(number=None).values_list("number", flat=True)
    )
    b = sorted(
        str(n)
        for n in Invoice.objects.for_cooperative(coop_b).exclude(number=None).values_list("number", flat=True)
    )
    assert a == ["2026-00001", "2026-00002", "2027-00001"]
    assert b == ["2026-00001", "2026-00002"]


def test_rollback_of_the_outer_transaction_returns_the_number():
    coop, advisor, _finance, invoices = _setup(2)
    with pytest.raises(Rollback), transaction.atomic():
        # invoice_issue is durable: it refuses to run inside another transaction at all.
        try:
            services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoices[0], on=date(2026, 6, 1))
        except RuntimeError:
            raise Rollback from None
    issued = services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoices[1], on=date(2026, 6, 1))
    assert issued.number == "2026-00001"
