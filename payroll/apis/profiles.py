"""`/api/me/payee-profile/`: the calling person's own payout details (never anyone else's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payroll.models import PayeeProfile
from payroll.selectors.profiles import blocked_reason, payee_profile_of
from payroll.services.profiles import LIMITS, payee_profile_get_or_create, payee_profile_update
from smartprod.core.api import CooperativeMixin, parse
from smartprod.core.parsers import JSONParser  # the depth limit and the text check

WHO = (
    "Who may call: any active member of the cooperative (member, advisor, finance, admin), for their own "
    "payout details only; there is no way to read or change another person's here (finance and admins "
    "see all payees in the backend)."
)


class PayeeProfileOutputSerializer(serializers.Serializer[PayeeProfile]):
    account_holder = serializers.CharField()
    iban = serializers.CharField()
    bic = serializers.CharField()
    iban_confirmed = serializers.SerializerMethodField(
        help_text="false while a new IBAN waits for a finance person's confirmation (payouts are held)"
    )
    street = serializers.CharField()
    building_number = serializers.CharField()
    postcode = serializers.CharField()
    town = serializers.CharField()
    country = serializers.CharField()
    address_needs_review = serializers.BooleanField()
    vat_status = serializers.ChoiceField(choices=PayeeProfile.VatStatus.choices)
    vat_id = serializers.CharField()
    tax_number = serializers.CharField()
    self_billing_accepted_on = serializers.DateField(allow_null=True)
    social_insurance_number = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    payouts_blocked = serializers.SerializerMethodField(
        help_text="why no payout can be made now (no IBAN, IBAN not confirmed, address incomplete), or null"
    )

    def get_iban_confirmed(self, profile: PayeeProfile) -> bool:
        return bool(profile.pk and profile.iban and not profile.iban_blocked)

    def get_payouts_blocked(self, profile: PayeeProfile) -> str | None:
        return blocked_reason(profile if profile.pk else None)


class PayeeProfileInputSerializer(serializers.Serializer[Any]):
    """Every field optional: what is not sent stays as it is."""

    account_holder = serializers.CharField(
        max_length=LIMITS["account_holder"], required=False, allow_blank=True
    )
    iban = serializers.CharField(max_length=42, required=False, allow_blank=True)
    bic = serializers.CharField(max_length=11, required=False, allow_blank=True)
    street = serializers.CharField(max_length=LIMITS["street"], required=False, allow_blank=True)
    building_number = serializers.CharField(
        max_length=LIMITS["building_number"], required=False, allow_blank=True
    )
    postcode = serializers.CharField(max_length=LIMITS["postcode"], required=False, allow_blank=True)
    town = serializers.CharField(max_length=LIMITS["town"], required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, help_text="ISO 3166-1 alpha-2, e.g. AT")
    vat_status = serializers.ChoiceField(choices=PayeeProfile.VatStatus.choices, required=False)
    vat_id = serializers.CharField(max_length=LIMITS["vat_id"], required=False, allow_blank=True)
    tax_number = serializers.CharField(max_length=LIMITS["tax_number"], required=False, allow_blank=True)
    self_billing_agreement = serializers.BooleanField(
        required=False,
        help_text="true accepts the self-billing agreement (records today's date), false withdraws it",
    )
    social_insurance_number = serializers.CharField(
        max_length=LIMITS["social_insurance_number"], required=False, allow_blank=True
    )
    date_of_birth = serializers.DateField(required=False, allow_null=True)


class MyPayeeProfileApi(APIView, CooperativeMixin):
    parser_classes = [JSONParser]

    def _present(self, profile: PayeeProfile) -> Response:
        return Response(PayeeProfileOutputSerializer(profile).data)

    @extend_schema(
        operation_id="me_payee_profile_retrieve",
        tags=["me"],
        responses=PayeeProfileOutputSerializer,
        description="Your payout details (empty fields while none are entered). " + WHO,
    )
    def get(self, request: Request) -> Response:
        profile = payee_profile_of(cooperative=self.cooperative, membership=self.membership)
        if profile is None:
            profile = PayeeProfile(
                cooperative=self.cooperative,
                membership=self.membership,
                account_holder=self.membership.user.get_full_name(),
                country=self.membership.country or self.cooperative.country,
            )
        return self._present(profile)

    @extend_schema(
        operation_id="me_payee_profile_update",
        tags=["me"],
        request=PayeeProfileInputSerializer,
        responses=PayeeProfileOutputSerializer,
        description="Change your payout details; only the fields sent change. A new IBAN holds your payouts "
        "until a finance person confirms it (`iban_confirmed` false). Bad input: 400 with each field's "
        "reason, and nothing changes. " + WHO,
    )
    def put(self, request: Request) -> Response:
        data = dict(parse(PayeeProfileInputSerializer, request.data))
        agreement = data.pop("self_billing_agreement", None)
        profile = payee_profile_get_or_create(cooperative=self.cooperative, membership=self.membership)
        profile = payee_profile_update(
            cooperative=self.cooperative,
            actor=self.membership,
            profile=profile,
            self_billing_agreement=agreement,
            **data,
        )
        return self._present(profile)
