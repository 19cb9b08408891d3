"""Demo invoices for each demo member's approved project: paid, overdue (with dunning), submitted, draft."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from invoicing import services
from invoicing.models import Invoice
from invoicing.reference_data import load_reference_data
from invoicing.services import LineInput
from projects.models import Project
from smartprod.tenancy.models import Cooperative, Membership


def seed_invoices(*, cooperative: Cooperative, stdout: Any) -> None:
    load_reference_data()
    members = Membership.objects.for_cooperative(cooperative).select_related("user")
    advisor = members.get(user__email=f"advisor@{cooperative.slug}.example")
    finance = members.get(user__email=f"finance@{cooperative.slug}.example")
    today = timezone.localdate()
    rate = "20" if cooperative.country == "AT" else "19"
    for local in ("member", "member2"):
        owner = members.get(user__email=f"{local}@{cooperative.slug}.example")
        project = (
            Project.objects.for_cooperative(cooperative)
            .filter(owner=owner, status=Project.Status.APPROVED)
            .order_by("id")
            .first()
        )
        if project is None or Invoice.objects.for_cooperative(cooperative).filter(project=project).exists():
            continue
        plan = [
            ("paid", today - timedelta(days=60), [("Bühnenbild Entwurf", "24", "85.00", rate, "HUR")]),
            (
                "overdue",
                today - timedelta(days=40),
                [
                    ("Bühnenbild Bau, 1. Teil", "1", "2400.00", rate, "LS"),
                    ("Material", "1", "380.50", rate, "LS"),
                ],
            ),
            ("submitted", None, [("Bühnenbild Bau, 2. Teil", "1", "1800.00", rate, "LS")]),
            ("draft", None, [("Abbau und Transport", "6", "65.00", rate, "HUR")]),
        ]
        for state, issue_on, lines in plan:
            invoice = services.invoice_create_draft(
                cooperative=cooperative,
                actor=owner,
                project=project,
                lines=[LineInput(d, Decimal(q), Decimal(p), r, u) for d, q, p, r, u in lines],
                service_date=(issue_on or today) - timedelta(days=3),
                order_reference="PO-2026-117",
            )
            if state == "draft":
                continue
            services.invoice_submit(cooperative=cooperative, actor=owner, invoice=invoice)
            if state == "submitted":
                continue
            invoice = services.invoice_issue(
                cooperative=cooperative, actor=advisor, invoice=invoice, on=issue_on
            )
            if state == "paid" and issue_on is not None:
                services.payment_record(
                    cooperative=cooperative,
                    actor=finance,
                    invoice=invoice,
                    amount=invoice.gross_total,
                    date=issue_on + timedelta(days=12),
                )
    stdout.write(f"  invoices: {Invoice.objects.for_cooperative(cooperative).count()} in {cooperative.name}")
