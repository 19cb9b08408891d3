"""Date inputs carry ISO values in every language: `<input type="date" value="29.11.2026">` shows empty and
the form cannot be sent."""

from __future__ import annotations

import contextlib
import importlib
import re
from datetime import date

import pytest
from django import forms
from django.apps import apps
from django.utils import timezone, translation

from smartprod.core.forms import DateInput
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

OUR_APPS = ("members", "projects", "invoicing", "payroll", "smartprod")


def _our_forms() -> list[type[forms.BaseForm]]:
    for config in apps.get_app_configs():
        if config.name.split(".")[0] in OUR_APPS:
            for module in ("forms", "admin", "views"):
                with contextlib.suppress(ModuleNotFoundError):
                    importlib.import_module(f"{config.name}.{module}")
    found: list[type[forms.BaseForm]] = []
    todo: list[type[forms.BaseForm]] = [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in OUR_APPS:
                found.append(sub)
    return found


def _date_fields() -> list[tuple[str, str, forms.Field]]:
    return [
        (form.__qualname__, name, field)
        for form in _our_forms()
        for name, field in getattr(form, "base_fields", {}).items()
        if isinstance(field, forms.DateField)
    ]


def test_the_project_invoice_payment_payee_fee_and_run_forms_have_date_fields() -> None:
    names = {(form, field) for form, field, _ in _date_fields()}
    assert {
        ("ProjectForm", "service_period_start"),
        ("InvoiceForm", "service_date"),
        ("PaymentForm", "date"),
        ("PayeeProfileForm", "date_of_birth"),
        ("FeeNoteForm", "service_period_start"),
        ("StartRunForm", "until"),
    } <= names


@pytest.mark.parametrize(
    ("form", "name", "field"), _date_fields(), ids=lambda v: str(v) if isinstance(v, str) else ""
)
def test_every_date_field_renders_an_iso_value_in_german(form: str, name: str, field: forms.Field) -> None:
    with translation.override("de"):
        html = field.widget.render(name, date(2026, 11, 29))

    assert isinstance(field.widget, DateInput)
    assert 'type="date"' in html
    assert 'value="2026-11-29"' in html


@pytest.mark.django_db
def test_the_german_payment_form_in_the_backend_shows_todays_date_iso(coop, make_member, client_for) -> None:
    owner, advisor, finance = make_member(coop), make_member(coop, "advisor"), make_member(coop, "finance")
    invoice = issued(coop, owner, advisor, approved_project(coop, owner, advisor))
    client = client_for(finance)
    client.cookies["django_language"] = "de"

    response = client.post(
        "/admin/invoicing/invoice/", {"action": "record_payment", "_selected_action": [invoice.pk]}
    )
    html = response.content.decode()

    date_input = re.search(r'<input type="date" name="date"[^>]*>', html)
    assert date_input is not None, html
    assert f'value="{timezone.localdate().isoformat()}"' in date_input.group(0)
    assert response.headers["Content-Language"] == "de"
