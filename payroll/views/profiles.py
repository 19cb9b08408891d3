"""The member's "Payout details" page: bank account, address, tax status, self-billing agreement.

Own data only (the person of the request); nobody else's profile is reachable from here. Every write is one
call of payroll.services.profiles.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from payroll.models import PayeeProfile
from payroll.selectors.profiles import blocked_reason, payee_profile_of
from payroll.services.profiles import LIMITS, payee_profile_get_or_create, payee_profile_update
from projects.forms import add_service_errors
from smartprod.core.errors import ApplicationError
from smartprod.core.formatting import format_iban
from smartprod.core.forms import DateInput, country_field
from smartprod.tenancy.context import require_membership


class PayeeProfileForm(forms.Form):
    """Checks only the shape of the input; the service checks the rules (IBAN, UID, SV number, limits)."""

    account_holder = forms.CharField(
        label=gettext_lazy("Account holder"), max_length=LIMITS["account_holder"]
    )
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=42)
    bic = forms.CharField(
        label=gettext_lazy("BIC"),
        max_length=11,
        required=False,
        help_text=gettext_lazy("Only if your bank asks."),
    )
    street = forms.CharField(label=gettext_lazy("Street"), max_length=LIMITS["street"])
    building_number = forms.CharField(
        label=gettext_lazy("Building number"),
        max_length=LIMITS["building_number"],
        required=False,
        help_text=gettext_lazy("With staircase and door, e.g. 12/3/4."),
    )
    postcode = forms.CharField(label=gettext_lazy("Postcode"), max_length=LIMITS["postcode"])
    town = forms.CharField(label=gettext_lazy("Town"), max_length=LIMITS["town"])
    country = country_field(label=gettext_lazy("Country"))
    vat_status = forms.ChoiceField(label=gettext_lazy("VAT status"), choices=PayeeProfile.VatStatus.choices)
    vat_id = forms.CharField(
        label=gettext_lazy("VAT id (UID)"),
        max_length=LIMITS["vat_id"],
        required=False,
        help_text=gettext_lazy("Needed when you are VAT-registered or a business in another EU country."),
    )
    tax_number = forms.CharField(
        label=gettext_lazy("Tax number"), max_length=LIMITS["tax_number"], required=False
    )
    self_billing_agreement = forms.BooleanField(
        label=gettext_lazy(
            "I agree that the cooperative issues my fee notes on my behalf (self-billing, "
            "“Gutschrift” in the sense of § 11 (7) UStG). I can withdraw this agreement at any time."
        ),
        required=False,
    )
    social_insurance_number = forms.CharField(
        label=gettext_lazy("Social insurance number"),
        max_length=LIMITS["social_insurance_number"],
        required=False,
        help_text=gettext_lazy("Only when the cooperative employs you."),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Only when the cooperative employs you."),
    )

    @staticmethod
    def initial_for(profile: PayeeProfile) -> dict[str, Any]:
        initial = {
            name: getattr(profile, name) for name in PayeeProfileForm.base_fields if hasattr(profile, name)
        }
        initial["iban"] = format_iban(profile.iban)
        initial["self_billing_agreement"] = profile.self_billing_accepted_on is not None
        return initial


@login_required
@require_http_methods(["GET", "POST"])
def payee_profile_edit(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    profile = payee_profile_of(cooperative=cooperative, membership=membership)
    if profile is None:
        # Shown, not saved: the profile is created on the first save.
        profile = PayeeProfile(
            cooperative=cooperative,
            membership=membership,
            account_holder=membership.user.get_full_name(),
            country=membership.country or cooperative.country,
        )
    form = PayeeProfileForm(request.POST or None, initial=PayeeProfileForm.initial_for(profile))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        agreement = bool(data.pop("self_billing_agreement"))
        try:
            saved = payee_profile_get_or_create(cooperative=cooperative, membership=membership)
            old_iban = saved.iban
            saved = payee_profile_update(
                cooperative=cooperative,
                actor=membership,
                profile=saved,
                self_billing_agreement=agreement,
                **data,
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            if saved.iban_blocked and saved.iban != old_iban:
                messages.warning(
                    request,
                    _(
                        "Saved. Your new IBAN must be confirmed by our finance team before payouts go to it; "
                        "until then your payouts are held."
                    ),
                )
            else:
                messages.success(request, _("Your payout details are saved."))
            return redirect("payee_profile")
    return render(
        request,
        "payroll/profiles/edit.html",
        {
            "form": form,
            "profile": profile,
            "blocked": blocked_reason(profile if profile.pk else None),
            "iban_awaiting": bool(profile.pk and profile.iban and profile.iban_blocked),
            "confirmed_iban": format_iban(profile.confirmed_iban),
        },
    )
