"""Backend screens for payee profiles (finance and admins only) and the cooperative's payout policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from payroll.models import PayeeProfile, PayoutPolicy
from payroll.selectors.profiles import address_complete, blocked_reason
from payroll.services.profiles import mask_iban, payee_iban_confirm
from smartprod.core import capabilities
from smartprod.core.admin import TenantAdmin
from smartprod.core.admin_site import staff_role
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError
from smartprod.core.formatting import format_iban
from smartprod.tenancy.context import request_context
from smartprod.tenancy.models import Membership

FINANCE_ROLES = capabilities.FINANCE_ROLES

if TYPE_CHECKING:
    from members.models import User


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(str(_("Act from a cooperative you are a member of.")))
    return membership


class IbanAwaitingConfirmationFilter(admin.SimpleListFilter):
    title = _("IBAN")
    parameter_name = "iban_state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("awaiting", _("awaiting confirmation")),
            ("confirmed", _("confirmed")),
            ("missing", _("missing")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PayeeProfile]) -> QuerySet[PayeeProfile]:
        if self.value() == "awaiting":
            return queryset.exclude(iban="").exclude(iban=F("confirmed_iban"))
        if self.value() == "confirmed":
            return queryset.exclude(iban="").filter(iban=F("confirmed_iban"))
        if self.value() == "missing":
            return queryset.filter(iban="")
        return queryset


class AddressFilter(admin.SimpleListFilter):
    title = _("address")
    parameter_name = "address_state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("incomplete", _("needs completing")), ("complete", _("complete"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PayeeProfile]) -> QuerySet[PayeeProfile]:
        incomplete = Q(address_needs_review=True) | Q(street="") | Q(postcode="") | Q(town="")
        if self.value() == "incomplete":
            return queryset.filter(incomplete)
        if self.value() == "complete":
            return queryset.exclude(incomplete)
        return queryset


@admin.register(PayeeProfile)
class PayeeProfileAdmin(TenantAdmin):
    """Finance and admins only (an advisor does not see payout details). Read-only here: the person edits
    their own details on the "Payout details" page; finance confirms a changed IBAN with the action."""

    list_display = (
        "membership",
        "account_holder",
        "iban_masked",
        "iban_state",
        "address_state",
        "vat_status",
        "self_billing_accepted_on",
        "updated_at",
    )
    list_filter = (IbanAwaitingConfirmationFilter, AddressFilter, "vat_status")
    search_fields = ("membership__user__email", "membership__user__last_name", "account_holder")
    list_select_related = ("membership__user",)
    actions = ["confirm_iban"]
    change_roles = ()
    add_roles = ()
    fieldsets = (
        (None, {"fields": ("membership", "blocked")}),
        (
            _("Bank account"),
            {
                "fields": (
                    "account_holder",
                    "iban_full",
                    "bic",
                    "confirmed_iban_full",
                    "iban_confirmed_at",
                    "iban_confirmed_by",
                )
            },
        ),
        (
            _("Address"),
            {"fields": ("street", "building_number", "postcode", "town", "country", "address_needs_review")},
        ),
        (_("Tax"), {"fields": ("vat_status", "vat_id", "tax_number", "self_billing_accepted_on")}),
        (_("Employment"), {"fields": ("social_insurance_number", "date_of_birth")}),
        (None, {"fields": ("updated_at",)}),
    )
    readonly_fields = (
        "membership",
        "blocked",
        "account_holder",
        "iban_full",
        "bic",
        "confirmed_iban_full",
        "iban_confirmed_at",
        "iban_confirmed_by",
        "street",
        "building_number",
        "postcode",
        "town",
        "country",
        "address_needs_review",
        "vat_status",
        "vat_id",
        "tax_number",
        "self_billing_accepted_on",
        "social_insurance_number",
        "date_of_birth",
        "updated_at",
    )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._role_may(request, FINANCE_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_may(request, FINANCE_ROLES)

    def has_finance_permission(self, request: HttpRequest) -> bool:
        return staff_role(request) in FINANCE_ROLES

    @admin.display(description=_("IBAN"))
    def iban_masked(self, obj: PayeeProfile) -> str:
        return mask_iban(obj.iban)

    @admin.display(description=_("IBAN"))
    def iban_full(self, obj: PayeeProfile) -> str:
        return format_iban(obj.iban)

    @admin.display(description=_("confirmed IBAN"))
    def confirmed_iban_full(self, obj: PayeeProfile) -> str:
        return format_iban(obj.confirmed_iban)

    @admin.display(description=_("IBAN state"))
    def iban_state(self, obj: PayeeProfile) -> Any:
        if not obj.iban:
            return _("missing")
        return _("awaiting confirmation") if obj.iban_blocked else _("confirmed")

    @admin.display(description=_("address"), boolean=True)
    def address_state(self, obj: PayeeProfile) -> bool:
        return address_complete(obj)

    @admin.display(description=_("payouts blocked"))
    def blocked(self, obj: PayeeProfile) -> Any:
        return blocked_reason(obj) or _("no")

    @admin.action(description=_("Confirm the IBAN of the selected payees"), permissions=["finance"])
    def confirm_iban(self, request: HttpRequest, queryset: QuerySet[PayeeProfile]) -> None:
        done = 0
        for profile in queryset.select_related("membership__user"):
            try:
                payee_iban_confirm(cooperative=profile.cooperative, actor=_actor(request), profile=profile)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{profile}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d IBAN(s) confirmed.") % {"count": done}, messages.SUCCESS)


@admin.register(PayoutPolicy)
class PayoutPolicyAdmin(TenantAdmin):
    """One per cooperative: finance and admins see it, admins change it."""

    list_display = (
        "cooperative",
        "fee_approval_threshold",
        "run_approval_threshold",
        "run_horizon_working_days",
    )
    fields = ("fee_approval_threshold", "run_approval_threshold", "run_horizon_working_days")
    change_roles = ("admin",)
    add_roles = ("admin",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._role_may(request, FINANCE_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_may(request, FINANCE_ROLES)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        cooperative = request_context(request).cooperative
        if cooperative is None or PayoutPolicy.objects.for_cooperative(cooperative).exists():
            return False  # one policy per cooperative: change the existing one
        return super().has_add_permission(request, *args)

    def save_model(self, request: HttpRequest, obj: PayoutPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_log(
            cooperative=obj.cooperative,
            actor=cast("User", request.user),  # the admin site lets only signed-in users in
            event="payout_policy.changed",
            obj=obj,
            data={"fields": sorted(form.changed_data)},
        )
