from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from smartprod.core.forms import DateInput, country_field
from smartprod.core.validators import validate_iban


class MembershipApplicationForm(forms.Form):
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = country_field(label=_("Country"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    iban = forms.CharField(
        label=_("IBAN for your payouts"), max_length=42, required=False, validators=[validate_iban]
    )
    tax_number = forms.CharField(label=_("Tax number"), max_length=40, required=False)
    social_insurance_number = forms.CharField(
        label=_("Social insurance number"), max_length=40, required=False
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    motivation = forms.CharField(label=_("What do you do?"), required=False, widget=forms.Textarea)
