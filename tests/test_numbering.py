"""Kernel numbering: gapless series per (cooperative, series, year), moved from invoicing with its rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from invoicing import services
from smartprod.core.models import NumberCounter
from smartprod.core.numbering import number_next
from tests.factories import CooperativeFactory, MembershipFactory
from tests.invoicing_helpers import draft
from tests.projects_helpers import approved_project


@pytest.mark.django_db
def test_series_count_apart_per_cooperative_series_and_year(coop, other_coop):
    taken = [
        number_next(cooperative=coop, series="fee_note", year=2026),
        number_next(cooperative=coop, series="fee_note", year=2026),
        number_next(cooperative=coop, series="payout_run", year=2026),
        number_next(cooperative=coop, series="fee_note", year=2027),
        number_next(cooperative=other_coop, series="fee_note", year=2026),
        number_next(cooperative=coop, series="fee_note", year=2026),
    ]
    assert taken == [1, 2, 1, 1, 1, 3]
    assert NumberCounter.objects.for_cooperative(coop).get(series="fee_note", year=2026).last_number == 3


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_number_is_taken_again(coop):
    with transaction.atomic():
        assert number_next(cooperative=coop, series="payslip", year=2026) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert number_next(cooperative=coop, series="payslip", year=2026) == 2
        raise RuntimeError("the payslip's transaction fails")
    with transaction.atomic():
        assert number_next(cooperative=coop, series="payslip", year=2026) == 2
    with pytest.raises(RuntimeError, match="inside the transaction"):
        number_next(cooperative=coop, series="payslip", year=2026)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_invoice_counters_continue_after_the_move_to_the_kernel(as_owner):
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # Back to before the move: the counter lives in invoicing's table, as on a production database.
        _migrate([("core", "0005_idempotency"), ("invoicing", "0009_vat_treatments")])
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO invoicing_numbercounter (cooperative_id, kind, year, last_number) "
                "VALUES (%s, 'invoice', 2026, 41), (%s, 'credit_note', 2026, 7)",
                [coop.pk, coop.pk],
            )
        _migrate(leaves)
    finally:
        _migrate(leaves)
    counters = NumberCounter.objects.for_cooperative(coop).order_by("series")
    assert [(c.series, c.year, c.last_number) for c in counters] == [
        ("credit_note", 2026, 7),
        ("invoice", 2026, 41),
    ]
    issued = services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=date(2026, 6, 1))
    assert issued.number == "2026-00042"
