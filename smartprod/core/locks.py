"""Named row locks, always taken in one order (Saleor's `payment/lock_objects.py`, DESIGN.md "Locks").

The order, parent before child:

    project  →  invoice / expense / fee note / salary  →  payout item  →  payout run

Two transactions that lock rows in the same order wait for each other instead of deadlocking; and every
write that lowers a project's budget (invoice issue, credit note, expense approval, fee note, salary,
payout) holds the project lock, because that is the lock the budget checks ("does the available budget
still cover this?") rely on. A write-off does not touch the budget (the cooperative's guarantee) and
needs only the invoice lock.

Last comes a lock nobody takes by name: posting a journal line to a project's budget account updates its
stored balance (`projects.BudgetBalance`, by a database trigger), which holds that row until commit. So
every posting to a budget is serialized per budget even where a caller does not hold the project lock;
post to a budget only after taking the named locks you need, never lock a project after posting to its
budget.

Rows of the same rank are locked in ascending primary key (`lock_many`), so two runs claiming
overlapping items wait instead of deadlocking.

The kernel imports no app: callers hand in their model class. Each named helper checks it is the model
it is named after (a wrong model is a programming error) and returns it typed. Children are locked with
their project through `lock_project_and_child`, which takes the project first — the cheap way to keep the
order where both are needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models
from django.utils.translation import gettext as _

from smartprod.core.errors import ApplicationError

P = TypeVar("P", bound=models.Model)
C = TypeVar("C", bound=models.Model)
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class LockKind:
    """A named lock: its rank in the order (lower first), the model it locks and what it protects."""

    name: str
    rank: int
    model: str  # "app_label.ModelName"
    protects: str


PROJECT = LockKind(
    "project",
    0,
    "projects.Project",
    "the project's status and its budget: every check of the available budget and every write lowering it",
)
INVOICE = LockKind(
    "invoice",
    1,
    "invoicing.Invoice",
    "an invoice's status and totals (issue, credit notes, payments, write-off, dunning, its document)",
)
EXPENSE = LockKind("expense", 1, "projects.Expense", "an expense claim's decision (approve once, or reject)")
FEE_NOTE = LockKind("fee_note", 1, "payroll.FeeNote", "a fee note's approval and number")
SALARY = LockKind("salary", 1, "payroll.Salary", "a salary (employment period, payslip) and its approval")
PAYOUT_ITEM = LockKind("payout_item", 2, "payroll.PayoutItem", "a payout item's claim by one run")
PAYOUT_RUN = LockKind("payout_run", 3, "payroll.PayoutRun", "a payout run's status (sent, confirmed)")

ORDER: tuple[LockKind, ...] = (PROJECT, INVOICE, EXPENSE, FEE_NOTE, SALARY, PAYOUT_ITEM, PAYOUT_RUN)


def _check_model(kind: LockKind, model: type[models.Model]) -> None:
    if model._meta.label != kind.model:
        raise TypeError(f"lock_{kind.name} locks {kind.model}, not {model._meta.label}.")


def _select(model: type[M], cooperative: Any) -> models.QuerySet[M]:
    # `of=("self",)`: only the named row, never rows of a joined table, so the order stays what it says.
    return model._default_manager.filter(cooperative=cooperative).select_for_update(of=("self",))


def lock(kind: LockKind, model: type[M], cooperative: Any, pk: Any) -> M:
    """Lock one row of `kind` of the cooperative (another cooperative's row: `DoesNotExist`, i.e. 404)."""
    _check_model(kind, model)
    return _select(model, cooperative).get(pk=pk)


def lock_many(kind: LockKind, model: type[M], cooperative: Any, pks: Iterable[Any]) -> list[M]:
    """Lock rows of one kind in ascending primary key, so overlapping batches wait instead of deadlocking."""
    _check_model(kind, model)
    return list(_select(model, cooperative).filter(pk__in=list(pks)).order_by("pk"))


def lock_project(model: type[P], cooperative: Any, project_id: Any) -> P:
    """The project row: taken first by every write that checks or lowers the project's budget."""
    return lock(PROJECT, model, cooperative, project_id)


def lock_invoice(model: type[C], cooperative: Any, invoice_id: Any) -> C:
    """An invoice alone (payment, write-off, dunning, document); with its budget: `lock_project_and_child`."""
    return lock(INVOICE, model, cooperative, invoice_id)


def lock_expense(model: type[C], cooperative: Any, expense_id: Any) -> C:
    """An expense alone (reject); approving lowers the budget: `lock_project_and_child`."""
    return lock(EXPENSE, model, cooperative, expense_id)


def lock_fee_note(model: type[C], cooperative: Any, fee_note_id: Any) -> C:
    return lock(FEE_NOTE, model, cooperative, fee_note_id)


def lock_salary(model: type[C], cooperative: Any, salary_id: Any) -> C:
    return lock(SALARY, model, cooperative, salary_id)


def lock_payout_items(model: type[C], cooperative: Any, item_ids: Iterable[Any]) -> list[C]:
    """Payout items, after the project / fee note / salary locks they need, before their run's lock."""
    return lock_many(PAYOUT_ITEM, model, cooperative, item_ids)


def lock_payout_run(model: type[C], cooperative: Any, run_id: Any) -> C:
    """A payout run: last in the order, after the items it claims."""
    return lock(PAYOUT_RUN, model, cooperative, run_id)


def lock_project_and_child(
    kind: LockKind,
    project_model: type[P],
    child_model: type[C],
    cooperative: Any,
    *,
    project_id: Any,
    child_id: Any,
) -> tuple[P, C]:
    """Lock a project and then one of its children (invoice, expense, fee note, salary): the order, kept.

    `project_id` is the child's project as the caller holds it (a child never moves to another project);
    should it differ from the locked row's, the call is refused rather than locking a second project
    after a child.
    """
    if kind.rank <= PROJECT.rank:
        raise TypeError(f"{kind.name} is not a child of a project.")
    project = lock_project(project_model, cooperative, project_id)
    child = lock(kind, child_model, cooperative, child_id)
    if getattr(child, "project_id", None) != project.pk:
        raise ApplicationError(
            _("This document belongs to another project than the one named; reload and try again."),
            details={"lock": kind.name, "id": child_id, "project": project_id},
            conflict=True,
        )
    return project, child


def try_job_lock(job: str, cooperative_id: int) -> bool:
    """Try to take a transaction-scoped advisory lock for one cooperative's run of a periodic job; True
    if this transaction now holds it, False if another run holds it (then skip: that run does the work).

    For jobs whose result must be whole per cooperative (one digest mail per person, not two halves
    split by `SKIP LOCKED`). It is released at commit or rollback; it takes no row lock, so it stands
    outside the order above. Needs an open transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)", [job, int(cooperative_id)])
        row = cursor.fetchone()
    return bool(row and row[0])
