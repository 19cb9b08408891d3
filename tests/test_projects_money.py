"""Documents, expenses and the budget: bad input refused with nothing stored; money correct to the cent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from projects import services
from projects.budget import project_budget
from projects.models import Document, Expense, JournalEntry
from smartprod.core.errors import ApplicationError
from tests.projects_helpers import approved_project, fund, make_project, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    return coop, owner, advisor, project


def test_disguised_file_refused_and_nothing_stored(setup, tmp_path, settings):
    coop, owner, _advisor, project = setup
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile(
        "contract.pdf", b"MZ\x90\x00 this is a windows program", content_type="application/pdf"
    )
    with pytest.raises(ApplicationError, match="whatever its name says"):
        services.document_upload(cooperative=coop, actor=owner, project=project, kind="contract", upload=fake)
    assert Document.objects.for_cooperative(coop).filter(original_name="contract.pdf").count() == 0
    assert not any(tmp_path.rglob("*.*"))


def test_oversized_file_refused(setup, settings):
    coop, owner, _advisor, project = setup
    settings.DOCUMENT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, content_type="image/png")
    with pytest.raises(ApplicationError, match="too large"):
        services.document_upload(cooperative=coop, actor=owner, project=project, kind="other", upload=big)
    assert Document.objects.for_cooperative(coop).filter(original_name="big.png").count() == 0


def test_upload_sniffs_type_and_hashes(setup):
    coop, owner, _advisor, project = setup
    doc = services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="receipt", upload=png_upload("scan.jpg")
    )
    assert doc.content_type == "image/png"
    assert doc.file.name.endswith(".png")
    assert len(doc.sha256) == 64
    assert "scan" not in doc.file.name  # the stored name is ours, not the uploader's


def test_other_member_cannot_upload(setup, make_member):
    coop, _owner, _advisor, project = setup
    stranger = make_member(coop)
    with pytest.raises(type(project).DoesNotExist):
        services.document_upload(
            cooperative=coop, actor=stranger, project=project, kind="other", upload=png_upload()
        )


def claim(coop, who, project, amount, vat="0.00", **kw):
    return services.expense_submit(
        cooperative=coop,
        actor=who,
        project=project,
        amount=Decimal(amount),
        vat_amount=Decimal(vat),
        date=kw.pop("date", date(2026, 5, 2)),
        description=kw.pop("description", "Taxi"),
        receipt_upload=png_upload(),
        **kw,
    )


def test_expense_above_available_budget_refused(setup):
    coop, owner, _advisor, project = setup
    fund(coop, project, "100.00")  # budget 92.50
    with pytest.raises(ApplicationError, match="available budget"):
        claim(coop, owner, project, "92.51")
    assert not Expense.objects.for_cooperative(coop).exists()
    assert claim(coop, owner, project, "92.50").amount == Decimal("92.50")
    with pytest.raises(ApplicationError, match="available budget"):
        claim(coop, owner, project, "0.01")  # the pending claim already uses it all


def test_expense_on_empty_budget_refused(setup):
    coop, owner, _advisor, project = setup
    with pytest.raises(ApplicationError, match="available budget"):
        claim(coop, owner, project, "1.00")


@pytest.mark.parametrize(
    ("amount", "vat", "message"),
    [
        ("-5.00", "0.00", "positive"),
        ("0.00", "0.00", "positive"),
        ("10.00", "11.00", "VAT"),
        ("10.00", "-1.00", "VAT"),
        ("12,50", "0", "not an amount"),
        ("abc", "0", "not an amount"),
    ],
)
def test_malformed_expense_refused(setup, amount, vat, message):
    coop, owner, _advisor, project = setup
    fund(coop, project, "1000.00")
    with pytest.raises(ApplicationError, match=message):
        services.expense_submit(
            cooperative=coop,
            actor=owner,
            project=project,
            amount=amount,
            vat_amount=vat,
            date=date(2026, 5, 2),
            description="x",
            receipt_upload=png_upload(),
        )
    assert not Expense.objects.for_cooperative(coop).exists()


def test_expense_in_future_or_on_unapproved_project_refused(setup, make_member):
    coop, owner, _advisor, project = setup
    fund(coop, project, "1000.00")
    with pytest.raises(ApplicationError, match="future"):
        claim(coop, owner, project, "1.00", date=timezone.localdate() + timedelta(days=1))
    draft = make_project(coop, owner, title="Draft")
    with pytest.raises(ApplicationError, match="approved"):
        claim(coop, owner, draft, "1.00")


def test_expense_approval_posts_once_and_budget_follows(setup, make_member):
    coop, owner, advisor, project = setup
    fund(coop, project, "1000.00")
    expense = claim(coop, owner, project, "119.99", vat="20.00")
    budget = project_budget(cooperative=coop, project=project)
    assert (budget.balance, budget.pending, budget.available) == (
        Decimal("925.00"),
        Decimal("119.99"),
        Decimal("805.01"),
    )
    services.expense_approve(cooperative=coop, actor=advisor, expense=expense)
    budget = project_budget(cooperative=coop, project=project)
    assert (budget.balance, budget.pending, budget.available) == (
        Decimal("805.01"),
        Decimal("0.00"),
        Decimal("805.01"),
    )
    assert [(line.kind, line.amount, line.balance) for line in budget.lines] == [
        ("income", Decimal("1000.00"), Decimal("1000.00")),
        ("contribution", Decimal("-75.00"), Decimal("925.00")),
        ("expense", Decimal("-119.99"), Decimal("805.01")),
    ]
    with pytest.raises(ApplicationError, match="already"):
        services.expense_approve(cooperative=coop, actor=advisor, expense=expense)
    assert (
        JournalEntry.objects.for_cooperative(coop)
        .filter(idempotency_key=f"expense:{expense.pk}:approved")
        .count()
        == 1
    )


def test_nobody_approves_own_expense_and_members_cannot_approve(setup, make_member):
    coop, owner, _advisor, project = setup
    fund(coop, project, "1000.00")
    expense = claim(coop, owner, project, "10.00")
    for actor in (owner, make_member(coop)):
        with pytest.raises(ApplicationError, match="Only advisors"):
            services.expense_approve(cooperative=coop, actor=actor, expense=expense)
    advisor_owner = make_member(coop, role="advisor")
    own = approved_project(coop, advisor_owner, _advisor, title="Advisor's own")
    fund(coop, own, "100.00")
    own_expense = claim(coop, advisor_owner, own, "5.00")
    with pytest.raises(ApplicationError, match="own expense"):
        services.expense_approve(cooperative=coop, actor=advisor_owner, expense=own_expense)
    expense.refresh_from_db()
    assert expense.status == "submitted"


def test_rejected_expense_frees_the_budget(setup):
    coop, owner, advisor, project = setup
    fund(coop, project, "100.00")
    expense = claim(coop, owner, project, "90.00")
    with pytest.raises(ApplicationError, match="comment"):
        services.expense_reject(cooperative=coop, actor=advisor, expense=expense, comment="")
    services.expense_reject(cooperative=coop, actor=advisor, expense=expense, comment="no receipt for taxi")
    assert project_budget(cooperative=coop, project=project).available == Decimal("92.50")


def test_budget_of_new_project_is_empty(setup):
    coop, _owner, _advisor, project = setup
    budget = project_budget(cooperative=coop, project=project)
    assert (budget.balance, budget.receivable, budget.available, budget.lines) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        [],
    )
