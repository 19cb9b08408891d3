"""Austria's payroll rules for 2025 and 2026 as data, and one collective agreement (payroll/reference_data.py
holds the figures and their sources). Reversing deletes exactly these rows."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from payroll.reference_data import load_payroll_rules

    load_payroll_rules(apps.get_model("payroll", "PayrollRules"), apps.get_model("payroll", "CollectiveAgreement"))


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("payroll", "PayrollRules").objects.filter(country="AT", year__in=[2025, 2026]).delete()
    apps.get_model("payroll", "CollectiveAgreement").objects.filter(
        country="AT", code="werbung-wien", year=2025
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("payroll", "0004_employments_salaries_payroll_rules")]

    operations = [migrations.RunPython(forwards, backwards)]
