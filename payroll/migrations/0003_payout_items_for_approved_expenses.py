"""Payout items for the expenses approved before payroll existed: each is reimbursed to its submitter.

The deadline counts from the approval date (working days of the cooperative's country). A frozen copy of
the rule in payroll.services.items; an item that exists already is kept (safe to run twice).
"""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    # Plain managers (`_base_manager`): a maintenance pass over every cooperative, on purpose.
    from smartprod.core.workdays import add_working_days

    Expense = apps.get_model("projects", "Expense")
    PayoutItem = apps.get_model("payroll", "PayoutItem")
    PayoutItemEvent = apps.get_model("payroll", "PayoutItemEvent")
    expenses = (
        Expense._base_manager.filter(status="approved", payout_item__isnull=True)
        .select_related("cooperative")
        .order_by("pk")
    )
    for expense in expenses.iterator():
        cooperative = expense.cooperative
        approved_at = expense.decided_at or timezone.now()
        item = PayoutItem._base_manager.create(
            cooperative=cooperative,
            kind="expense",
            payee_id=expense.submitted_by_id,
            project_id=expense.project_id,
            expense=expense,
            description=expense.description[:140],
            currency=cooperative.currency,
            amount=expense.amount,
            status="approved",
            approved_at=approved_at,
            guarantee_deadline=add_working_days(
                timezone.localdate(approved_at), cooperative.payout_guarantee_days, cooperative.country
            ),
        )
        PayoutItemEvent._base_manager.create(
            cooperative=cooperative, item=item, from_status="", to_status="approved", reason="migration"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payroll", "0002_payee_profiles_from_membership"),
        ("projects", "0011_expense_vat"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
