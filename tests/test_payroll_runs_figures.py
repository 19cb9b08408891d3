"""Payout figures for the finance cockpit: exposure, deadlines, runs, paid on time; registered, rendered."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from payroll.figures import guarantee_exposure, paid_on_time, runs_by_state, upcoming_deadlines
from payroll.models import PayoutItem
from payroll.services.runs import payout_run_confirm, payout_run_mark_sent, payout_run_start
from smartprod.core.registry import finance_figures
from tests.invoicing_helpers import issued
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project


def test_figures(coop, make_member):
    owner, advisor, finance = make_member(coop), make_member(coop, "advisor"), make_member(coop, "finance")
    unpaid = approved_project(coop, owner, advisor)
    other = approved_project(coop, owner, advisor, title="No invoice")
    issued(coop, owner, advisor, unpaid, ("Stage design", "1", "100.00", "20"))  # 120.00 receivable
    payee_profile(coop, owner)
    today = timezone.localdate()
    payout_item(coop, unpaid, owner, "90.00", deadline=today + timedelta(days=1))
    payout_item(coop, unpaid, owner, "50.00", deadline=today - timedelta(days=1))  # late
    payout_item(coop, other, owner, "30.00", deadline=today + timedelta(days=400))

    exposure = guarantee_exposure(coop)
    assert exposure["total"] == Decimal("120.00")  # min(receivable 120, payouts 140)
    assert [row["project"].pk for row in exposure["projects"]] == [unpaid.pk]

    deadlines = upcoming_deadlines(coop)
    assert (deadlines["count"], deadlines["total"], deadlines["late"]) == (1, Decimal("90.00"), 1)

    run = payout_run_start(cooperative=coop, actor=finance, until=today + timedelta(days=2))
    run = payout_run_mark_sent(cooperative=coop, actor=finance, run=run)
    payout_run_confirm(cooperative=coop, actor=finance, run=run, on=today)
    on_time = paid_on_time(coop)
    assert (on_time["count"], on_time["on_time"], on_time["share"]) == (2, 1, Decimal("50.0"))
    assert dict((str(label), n) for label, n in runs_by_state(coop)["states"])["Confirmed"] == 1
    assert PayoutItem.objects.for_cooperative(coop).filter(status="paid").count() == 2

    keys = {figure.key for figure in finance_figures}
    assert {"payouts.exposure", "payouts.deadlines", "payouts.runs", "payouts.on_time"} <= keys
    for figure in finance_figures:
        if figure.key.startswith("payouts."):
            html = render_to_string(figure.template, figure.compute(coop))
            assert html.strip(), figure.key
