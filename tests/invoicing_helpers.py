"""Builders for invoicing tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoicing import services
from invoicing.models import Invoice
from invoicing.services import LineInput
from projects.models import Project
from smartprod.tenancy.models import Cooperative, Membership


def draft(
    cooperative: Cooperative,
    owner: Membership,
    project: Project,
    *lines: tuple[str, str, str, str],
    **kwargs: object,
) -> Invoice:
    lines = lines or (("Stage design", "10", "100.00", "20"),)
    return services.invoice_create_draft(
        cooperative=cooperative,
        actor=owner,
        project=project,
        lines=[LineInput(d, Decimal(q), Decimal(p), r) for d, q, p, r in lines],
        service_date=kwargs.pop("service_date", date(2026, 4, 30)),
        **kwargs,
    )


def issued(
    cooperative: Cooperative,
    owner: Membership,
    issuer: Membership,
    project: Project,
    *lines: tuple[str, str, str, str],
    on: date | None = None,
) -> Invoice:
    invoice = draft(cooperative, owner, project, *lines)
    services.invoice_submit(cooperative=cooperative, actor=owner, invoice=invoice)
    return services.invoice_issue(cooperative=cooperative, actor=issuer, invoice=invoice, on=on)
