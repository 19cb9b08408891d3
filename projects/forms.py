"""Forms of the member portal. They parse and check input only; the services decide and write."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from projects.models import Client, Collaboration, Document, Project
from smartprod.core.errors import ApplicationError
from smartprod.core.forms import AsciiDecimalField, DateInput, country_field
from smartprod.core.validators import validate_business_date
from smartprod.tenancy.models import Membership

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_DIGITS, DECIMAL_PLACES = 20, 2


def money_field(label: StrOrPromise, *, positive: bool = False, **kwargs: Any) -> forms.DecimalField:
    """A Decimal(20, 2) amount that refuses negative values (and 0 too when `positive`), saying so."""
    minimum = Decimal("0.01") if positive else Decimal("0.00")
    message = _("Enter an amount above 0.") if positive else _("Enter 0 or more: amounts cannot be negative.")
    field = AsciiDecimalField(
        label=label,
        min_value=minimum,
        error_messages={"min_value": message},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": str(minimum), "inputmode": "decimal"}),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        **kwargs,
    )
    return field


def add_service_errors(
    form: forms.Form, exc: ApplicationError, *, rename: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Put an ApplicationError on the form: its details next to their fields, the rest above the form.

    Returns the details that name no field of this form (e.g. "collaborators"), for the page to place.
    """
    rename = rename or {}
    unplaced: dict[str, list[str]] = {}
    form.add_error(None, exc.message)
    for key, errors in exc.details.items():
        messages = [str(error) for error in errors] if isinstance(errors, list | tuple) else [str(errors)]
        field = rename.get(key, key)
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
        else:
            unplaced.setdefault(key, []).extend(messages)
    return unplaced


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Client.Kind.choices, initial=Client.Kind.BUSINESS)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = country_field(label=_("Country"))
    email = forms.EmailField(label=_("E-mail for invoices"), required=False)
    vat_id = forms.CharField(
        label=_("VAT id (UID)"),
        max_length=20,
        required=False,
        help_text=_("Required for businesses abroad (reverse charge)."),
    )
    order_reference = forms.CharField(label=_("Order reference"), max_length=100, required=False)
    buyer_reference = forms.CharField(
        label=_("Buyer reference"),
        max_length=100,
        required=False,
        help_text=_("Public clients (Leitweg-ID, Auftragsreferenz) reject e-invoices without it."),
    )
    reminder_fees_agreed = forms.BooleanField(
        label=_("Reminder fees agreed"),
        required=False,
        help_text=_("Consumers only: the contract says that reminder fees are charged."),
    )
    public_sector = forms.BooleanField(
        label=_("Public sector"),
        required=False,
        help_text=_(
            "A public body: Austrian ones get ebInterface (uploaded to e-rechnung.gv.at; order reference and "
            "supplier number required), German ones XRechnung (Leitweg-ID as buyer reference required)."
        ),
    )
    supplier_number = forms.CharField(
        label=_("Supplier number"),
        max_length=35,
        required=False,
        help_text=_("The number the public body assigned to the cooperative as its supplier."),
    )

    @staticmethod
    def initial_for(client: Client) -> dict[str, Any]:
        return {name: getattr(client, name) for name in ClientForm.base_fields}


class ProjectForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), empty_label="—")
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you deliver, as agreed with the client."),
    )
    service_period_start = forms.DateField(
        label=_("Service from"), widget=DateInput(), validators=[validate_business_date]
    )
    service_period_end = forms.DateField(
        label=_("Service until"), widget=DateInput(), validators=[validate_business_date]
    )
    agreed_net_amount = money_field(_("Agreed net amount"), help_text=_("Without VAT."))
    vat_treatment = forms.ChoiceField(
        label=_("VAT treatment"), choices=Project.VatTreatment.choices, initial=Project.VatTreatment.STANDARD
    )
    exemption_text = forms.CharField(
        label=_("Legal text for the exemption"),
        max_length=300,
        required=False,
        help_text=_("Only for exempt projects, e.g. the paragraph of the law."),
    )
    owner_employment = forms.ChoiceField(
        label=_("How you are paid from this project"),
        choices=Collaboration.Employment.choices,
        initial=Collaboration.Employment.SELF_EMPLOYED,
        required=False,
        help_text=_("Employed by the cooperative (salary) or self-employed (fee notes)."),
    )

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clients

    def clean_owner_employment(self) -> str:
        return str(self.cleaned_data.get("owner_employment") or Collaboration.Employment.SELF_EMPLOYED)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        start, end = data.get("service_period_start"), data.get("service_period_end")
        if start and end and end < start:
            self.add_error("service_period_end", _("Must not be before the start."))
        return data

    @staticmethod
    def initial_for(project: Project) -> dict[str, Any]:
        names = [name for name in ProjectForm.base_fields if name != "client"]
        return {"client": project.client_id, **{name: getattr(project, name) for name in names}}


class CollaboratorForm(forms.Form):
    """One row: a member of the cooperative and how they work on this project."""

    membership = forms.TypedChoiceField(label=_("Member"), coerce=int, required=False, empty_value=None)
    employment = forms.ChoiceField(
        label=_("Works as"),
        choices=Collaboration.Employment.choices,
        initial=Collaboration.Employment.SELF_EMPLOYED,
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("— nobody —")), *people]


class BaseCollaboratorFormSet(forms.BaseFormSet[forms.Form]):
    def clean(self) -> None:
        super().clean()
        chosen = [form.cleaned_data.get("membership") for form in self.forms if form.cleaned_data]
        chosen = [pk for pk in chosen if pk is not None]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("A person is listed twice."))

    def collaborators(self, memberships: dict[int, Membership]) -> list[tuple[Membership, str]]:
        rows = []
        for form in self.forms:
            pk = form.cleaned_data.get("membership") if form.cleaned_data else None
            if pk is not None:
                rows.append((memberships[pk], str(form.cleaned_data["employment"])))
        return rows


CollaboratorFormSet = cast(
    type[BaseCollaboratorFormSet],
    forms.formset_factory(
        CollaboratorForm, formset=BaseCollaboratorFormSet, extra=2, max_num=50, validate_max=True
    ),
)


def people_choices(memberships: Iterable[Membership], *, exclude: int | None) -> list[tuple[int, str]]:
    return [
        (m.pk, f"{m.user.get_full_name() or m.user.email} (#{m.member_number})")
        for m in memberships
        if m.pk != exclude
    ]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Document.Kind.choices, initial=Document.Kind.CONTRACT)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG or JPEG."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


class ExpenseForm(forms.Form):
    amount = money_field(_("Amount incl. VAT"), positive=True)
    vat_amount = money_field(_("Of which VAT"), initial=Decimal("0.00"))
    date = forms.DateField(
        label=_("Date on the receipt"), widget=DateInput(), validators=[validate_business_date]
    )
    description = forms.CharField(label=_("What was it for?"), max_length=300)
    receipt = forms.FileField(
        label=_("Receipt"),
        help_text=_("PDF, PNG or JPEG."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        amount, vat = data.get("amount"), data.get("vat_amount")
        if amount is not None and vat is not None and vat > amount:
            self.add_error("vat_amount", _("The VAT cannot be more than the amount."))
        return data
