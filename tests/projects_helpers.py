"""Small builders for project tests (services all the way, so the tests see what users see)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services
from projects.demo import minimal_pdf
from projects.ledger import Posting, account_get, journal_post
from projects.models import Account, Client, Project
from smartprod.tenancy.models import Cooperative, Membership


def pdf_upload(name: str = "Vertrag.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf("contract"), content_type="application/pdf")


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (uploads are opened with Pillow to count their pixels)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name: str = "receipt.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def make_client(cooperative: Cooperative, actor: Membership, **kwargs: object) -> Client:
    data = {
        "name": "ACME GmbH",
        "street": "Ring 1",
        "postcode": "1010",
        "city": "Wien",
        "country": "AT",
        "vat_id": "ATU12345675",
        **kwargs,
    }
    return services.client_create(cooperative=cooperative, actor=actor, **data)


def make_project(cooperative: Cooperative, owner: Membership, **kwargs: object) -> Project:
    client = kwargs.pop("client", None) or make_client(cooperative, owner)
    data = {
        "title": "Stage design",
        "service_period_start": date(2026, 3, 1),
        "service_period_end": date(2026, 4, 30),
        "agreed_net_amount": Decimal("5000.00"),
        **kwargs,
    }
    return services.project_create(cooperative=cooperative, actor=owner, client=client, **data)


def approved_project(
    cooperative: Cooperative, owner: Membership, advisor: Membership, **kwargs: object
) -> Project:
    project = make_project(cooperative, owner, **kwargs)
    services.document_upload(
        cooperative=cooperative, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )
    services.project_submit(cooperative=cooperative, actor=owner, project=project)
    return services.project_approve(cooperative=cooperative, actor=advisor, project=project)


def fund(cooperative: Cooperative, project: Project, amount: str, key: str = "income") -> None:
    """Put money into a project's budget as an issued invoice would (income minus 7.5 % contribution)."""
    net = Decimal(amount)
    contribution = (net * Decimal("0.075")).quantize(Decimal("0.01"))
    budget = account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project)
    journal_post(
        cooperative=cooperative,
        idempotency_key=f"{key}:{project.pk}",
        date=date(2026, 5, 1),
        description="Invoice",
        postings=[
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.RECEIVABLE, client=project.client),
                debit=net,
                project=project,
            ),
            Posting(budget, credit=net, kind="income"),
            Posting(budget, debit=contribution, kind="contribution"),
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.CONTRIBUTION_INCOME),
                credit=contribution,
            ),
        ],
    )
