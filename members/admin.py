from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members import services
from members.models import Invitation, User
from smartprod.core.admin import TenantAdmin
from smartprod.core.admin_site import staff_role
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.tenancy.context import current_cooperative, request_context
from smartprod.tenancy.models import Cooperative, Membership


def _acting_membership(request: HttpRequest, cooperative: Cooperative) -> Membership:
    """Who acts in `cooperative` from the backend: the person's active membership there. A platform superuser
    without one acts as an administrator of that cooperative (an unsaved membership built here, at the edge;
    services only ever see a Membership)."""
    context = request_context(request).membership
    if context is not None and context.cooperative_id == cooperative.pk:
        return context
    user = request.user
    if not isinstance(user, User):
        raise NotAllowed(str(_("Your role in this cooperative may not do this.")))
    membership = (
        Membership.objects.for_cooperative(cooperative)
        .filter(user=user, status=Membership.Status.ACTIVE)
        .select_related("user")
        .first()
    )
    if membership is not None:
        return membership
    if user.is_superuser:
        return Membership(
            cooperative=cooperative, user=user, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE
        )
    raise NotAllowed(str(_("Your role in this cooperative may not do this.")))


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin[Cooperative]):
    """Admins edit their own cooperative's settings; only platform superusers add cooperatives."""

    list_display = ("name", "slug", "currency", "language", "contribution_rate", "is_active")
    search_fields = ("name", "legal_name", "slug")
    readonly_fields = ("slug", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cooperative]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        cooperative = request_context(request).cooperative
        return qs.filter(pk=cooperative.pk) if cooperative else qs.none()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if request.user.is_superuser else ("slug", "hosts", "created_at", "is_active")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or staff_role(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser or staff_role(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser or staff_role(request) == "admin")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    """People span cooperatives, so only platform superusers manage them here."""

    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name")}),
        (_("Platform"), {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    list_filter = ("is_active", "is_superuser")
    filter_horizontal = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ("member_number", "user", "role", "status", "advisor", "applied_at")
    list_filter = ("status", "role")
    search_fields = ("user__email", "user__first_name", "user__last_name", "member_number")
    list_select_related = ("user", "advisor__user")
    readonly_fields = ("user", "member_number", "status", "applied_at", "decided_at", "decided_by")
    actions = ["approve", "reject"]
    # Payout details (address, IBAN, tax and social insurance numbers) live in payroll's payee profile,
    # seen only by the person, finance and admins: not on the membership any more.
    change_roles = ("advisor", "admin")
    add_roles = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if staff_role(request) != "admin" and not request.user.is_superuser:
            fields.append("role")  # only an administrator hands out roles
        return fields

    @admin.action(description=_("Approve selected applications"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self._decide(request, queryset, services.membership_approve, _("approved"))

    @admin.action(description=_("Reject selected applications"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self._decide(request, queryset, services.membership_reject, _("rejected"))

    def _decide(self, request: HttpRequest, queryset: QuerySet[Membership], service: Any, verb: Any) -> None:
        done = 0
        for membership in queryset:
            try:
                actor = _acting_membership(request, membership.cooperative)
                service(cooperative=membership.cooperative, actor=actor, membership=membership)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{membership}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request,
                _("%(count)d membership(s) %(verb)s.") % {"count": done, "verb": verb},
                messages.SUCCESS,
            )


@admin.register(Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ("email", "role", "invited_by", "created_at", "expires_at", "accepted_at")
    fields = ("email", "role")
    change_roles = ()
    add_roles = ("advisor", "admin")

    def save_model(self, request: HttpRequest, obj: Invitation, form: Any, change: bool) -> None:
        cooperative = current_cooperative(request)
        created = services.invitation_create(
            cooperative=cooperative,
            actor=_acting_membership(request, cooperative),
            email=obj.email,
            role=obj.role,
            base_url=request.build_absolute_uri("/"),
        )
        obj.pk = created.pk
        obj.__dict__.update(created.__dict__)
