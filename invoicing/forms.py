"""Forms of the invoice pages. They parse and check input only; invoicing.services decides and writes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from invoicing.models import ExemptionNote, InvoiceLine
from invoicing.services import LineInput
from smartprod.core.forms import AsciiDecimalField, DateInput
from smartprod.core.validators import NOTE_MAX_LENGTH, validate_business_date

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from invoicing.models import Invoice

REVERSE_CHARGE, EXEMPT, NOT_TAXABLE = "reverse_charge", "exempt", "not_taxable"
MAX_LINES = 50
UNIT_CHOICES: list[tuple[str, StrOrPromise]] = [
    ("C62", _("pcs.")),
    ("HUR", _("hours")),
    ("DAY", _("days")),
    ("LS", _("lump sum")),
    ("MON", _("months")),
    ("KMT", _("km")),
]
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "vat_rate")


def rate_key(value: Decimal) -> str:
    """20.00 -> "20", 5.50 -> "5.5" (never "2E+1"): the value a VAT select sends and the service reads."""
    return f"{value.normalize():f}"


def vat_choices(rates: Sequence[tuple[Decimal, str]]) -> list[tuple[str, StrOrPromise]]:
    """The cooperative's valid rates, then reverse charge, not taxable here and exempt."""
    # Short labels: the select shares a phone's width with the price.
    choices: list[tuple[str, StrOrPromise]] = [
        (rate_key(rate), f"{number_format(Decimal(rate_key(rate)))} %") for rate, _label in rates
    ]
    choices += [
        (REVERSE_CHARGE, _("Reverse charge")),
        (NOT_TAXABLE, _("Not taxable here")),
        (EXEMPT, _("Exempt")),
    ]
    return choices


def line_vat_key(line: InvoiceLine) -> str:
    if line.vat_category == InvoiceLine.VatCategory.REVERSE_CHARGE:
        return REVERSE_CHARGE
    if line.vat_category == InvoiceLine.VatCategory.EXEMPT:
        return EXEMPT
    if line.vat_category == InvoiceLine.VatCategory.NOT_TAXABLE:
        return NOT_TAXABLE
    return rate_key(line.vat_rate)


class InvoiceForm(forms.Form):
    service_date = forms.DateField(
        label=_("Date of service"),
        required=False,
        widget=DateInput(),
        validators=[validate_business_date],
        help_text=_("The day you delivered. For longer work, give the period instead."),
    )
    service_period_start = forms.DateField(
        label=_("Service from"), required=False, widget=DateInput(), validators=[validate_business_date]
    )
    service_period_end = forms.DateField(
        label=_("Service until"), required=False, widget=DateInput(), validators=[validate_business_date]
    )
    order_reference = forms.CharField(
        label=_("Client's order reference"),
        max_length=100,
        required=False,
        help_text=_("The client's order or PO number, if they gave you one."),
    )
    note = forms.CharField(
        label=_("Note on the invoice"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed below the lines."),
    )
    exemption_note = forms.ModelChoiceField(
        label=_("VAT exemption"),
        queryset=ExemptionNote.objects.none(),
        required=False,
        help_text=_(
            "For exempt lines: the legal exemption printed on the invoice (kept by the cooperative)."
        ),
    )

    def __init__(self, *args: Any, exemption_notes: QuerySet[ExemptionNote], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["exemption_note"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = exemption_notes

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        day, start, end = (
            data.get("service_date"),
            data.get("service_period_start"),
            data.get("service_period_end"),
        )
        if not self.errors:
            if day is None and start is None and end is None:
                self.add_error("service_date", _("Give the date of service, or the service period below."))
            elif day is None and (start is None or end is None):
                missing = "service_period_end" if end is None else "service_period_start"
                self.add_error(missing, _("Give both ends of the period (or a single date of service)."))
            if start and end and end < start:
                self.add_error("service_period_end", _("Must not be before the start."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of invoice_create_draft / invoice_update_draft."""
        data = self.cleaned_data
        return {
            "service_date": data.get("service_date"),
            "service_period_start": data.get("service_period_start"),
            "service_period_end": data.get("service_period_end"),
            "order_reference": data.get("order_reference", ""),
            "note": data.get("note", ""),
            "exemption_note_id": note.pk if (note := data.get("exemption_note")) is not None else None,
        }

    @staticmethod
    def initial_for(invoice: Invoice) -> dict[str, Any]:
        return {name: getattr(invoice, name) for name in InvoiceForm.base_fields}


class LineForm(forms.Form):
    """One line. A row left completely empty is skipped; a started row must be complete."""

    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("What you delivered")}),
    )
    quantity = AsciiDecimalField(
        label=_("Quantity"),
        required=False,
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        error_messages={"min_value": _("Enter a quantity above 0.")},
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES, initial="C62")
    unit_price = AsciiDecimalField(
        label=_("Unit price (net)"),
        required=False,
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.00"),
        error_messages={"min_value": _("Enter 0 or more; corrections are credit notes.")},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    vat_rate = forms.ChoiceField(label=_("VAT"))

    def __init__(
        self, *args: Any, vat: list[tuple[str, StrOrPromise]], default_vat: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["vat_rate"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = vat
        field.initial = default_vat

    def has_changed(self) -> bool:
        # The unit and VAT selects always send a value: a row counts as typed in only with text or numbers.
        if not self.is_bound:
            return False
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in LINE_FIELDS[:2]) or bool(
            str(self.data.get(self.add_prefix("unit_price"), "")).strip()
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if not self.has_changed():
            return data
        for name in ("description", "quantity", "unit_price"):
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, _("Required."))
        return data

    def line(self) -> LineInput | None:
        if not self.has_changed():
            return None
        data = self.cleaned_data
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            vat_rate=data["vat_rate"],
            unit=data["unit"],
        )


class BaseLineFormSet(forms.BaseFormSet[LineForm]):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        # Every row may stay empty (not only the extra ones): an emptied row is a removed line.
        kwargs = super().get_form_kwargs(index)
        if index is not None:  # None: the empty form, which Django already builds that way
            kwargs.update(empty_permitted=True, use_required_attribute=False)
        return kwargs

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("Add at least one line."))

    def lines(self) -> list[LineInput]:
        found = [form.line() for form in self.forms if getattr(form, "cleaned_data", None) is not None]
        return [line for line in found if line is not None]


def line_formset(*, extra: int) -> type[BaseLineFormSet]:
    """A formset class with `extra` empty rows after the lines given as `initial`."""
    formset = cast(
        type[BaseLineFormSet],
        forms.formset_factory(
            LineForm,
            formset=BaseLineFormSet,
            extra=extra,
            max_num=MAX_LINES,
            validate_max=True,
            absolute_max=MAX_LINES,
        ),
    )
    return formset


def initial_lines(invoice: Invoice) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "quantity": rate_key(line.quantity),
            "unit": line.unit,
            "unit_price": line.unit_price,
            "vat_rate": line_vat_key(line),
        }
        for line in invoice.lines.all()
    ]
