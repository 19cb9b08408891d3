from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from smartprod.core.forms import country_field


class MembershipApplicationForm(forms.Form):
    # Address, IBAN, tax and social insurance numbers are payout details now (payroll's PayeeProfile): the
    # member enters them on the "Payout details" page, where they are checked and an IBAN change confirmed.
    country = country_field(label=_("Country"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    motivation = forms.CharField(label=_("What do you do?"), required=False, widget=forms.Textarea)
