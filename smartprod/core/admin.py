"""The admin backend for advisors and finance staff: each sees only their own cooperative's rows.

Access is by role in the request's cooperative, not by Django's global is_staff flag; superusers see all.
Logging in always goes through allauth (rate limits, two-factor), never the admin's own login form.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest
from django.utils.translation import get_language

from smartprod.core.admin_site import staff_role

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise
from smartprod.core.audit import audit_log
from smartprod.core.capabilities import STAFF_ROLES
from smartprod.core.formatting import format_money_symbol
from smartprod.core.models import AuditEvent, TenantModel
from smartprod.tenancy.context import current_cooperative, request_context
from smartprod.tenancy.models import Cooperative


def _scope(queryset: QuerySet[Any], request: HttpRequest) -> QuerySet[Any]:
    if request.user.is_superuser:
        return queryset.all_cooperatives() if hasattr(queryset, "all_cooperatives") else queryset
    cooperative = request_context(request).cooperative
    if cooperative is None:
        return (
            queryset.none().all_cooperatives() if hasattr(queryset, "all_cooperatives") else queryset.none()
        )
    return queryset.filter(cooperative=cooperative)


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a foreign key to a tenant model offers only the request's cooperative's rows.

    Django's own filter lists every row through the model's default manager, which fails closed for tenant
    models (and would list other cooperatives' people if it did not).
    """

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, str | _StrPromise]]:
        queryset = _scope(field.related_model._default_manager.get_queryset(), request)
        limit = field.get_limit_choices_to() if hasattr(field, "get_limit_choices_to") else None
        if limit:
            queryset = queryset.complex_filter(limit)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(str(obj.pk), str(obj)) for obj in queryset]


def _to_tenant_model(field: Any) -> bool:
    related = getattr(field, "related_model", None)
    return isinstance(related, type) and issubclass(related, TenantModel)


admin.FieldListFilter.register(_to_tenant_model, TenantRelatedFieldListFilter, take_priority=True)


# The currency of the cooperative whose backend page is being rendered, for amounts on rows that do not
# store their own; set from the request before a list or an object is shown (a display function gets only
# the row).
_page_currency: contextvars.ContextVar[str] = contextvars.ContextVar("admin_page_currency", default="EUR")
MONEY_SUFFIX = "__money"


def is_money_field(field: Any) -> bool:
    """Money columns: `money_field`s (Decimal(20, 2)) and payroll's Decimal(12 or 14, 2) amounts; rates are
    Decimal(5, 2) and stay numbers."""
    return (
        isinstance(field, models.DecimalField) and field.decimal_places == 2 and (field.max_digits or 0) >= 10
    )


def money_display(value: Decimal | None, currency: str) -> str:
    """An amount as the backend shows it, in the page's language: '1.234,56 €' (de), '€1,234.56' (en)."""
    if value is None:
        return "–"
    return format_money_symbol(value, currency, get_language() or "en")


def row_currency(obj: Any) -> str:
    return str(getattr(obj, "currency", "") or _page_currency.get())


def _money_column(field: Any) -> Callable[[Any], str]:
    def show(obj: Any) -> str:
        return money_display(getattr(obj, field.name), row_currency(obj))

    show.short_description = field.verbose_name  # type: ignore[attr-defined]
    show.admin_order_field = field.name  # type: ignore[attr-defined]
    show.__name__ = f"{field.name}{MONEY_SUFFIX}"
    return show


class TenantScopedMixin(BaseModelAdmin[Any]):
    """Scopes the change list, the object lookup and every tenant foreign-key choice to the cooperative."""

    # Roles that may change rows here; everyone with a staff role may view.
    change_roles: tuple[str, ...] = STAFF_ROLES
    add_roles: tuple[str, ...] = STAFF_ROLES
    delete_roles: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return _scope(super().get_queryset(request), request)

    # Amounts with thousands separators and the currency ('1.234,56 €'), in lists and read-only fields:
    # each money column is shown through a display function named `<field>__money` (Django's own display
    # writes 1234,56 without the currency).
    def _money_fields(self) -> dict[str, Any]:
        return {f.name: f for f in self.model._meta.concrete_fields if is_money_field(f)}

    def _remember_currency(self, request: HttpRequest) -> None:
        cooperative = request_context(request).cooperative
        _page_currency.set(cooperative.currency if cooperative is not None else "EUR")

    def __getattr__(self, name: str) -> Any:
        if name.endswith(MONEY_SUFFIX):
            field = self._money_fields().get(name.removesuffix(MONEY_SUFFIX))
            if field is not None:
                return _money_column(field)
        raise AttributeError(name)

    def _money_names(self, names: Sequence[Any], keep: Sequence[str] = ()) -> list[Any]:
        money = self._money_fields()
        return [
            f"{name}{MONEY_SUFFIX}" if isinstance(name, str) and name in money and name not in keep else name
            for name in names
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        self._remember_currency(request)
        return self._money_names(list(super().get_readonly_fields(request, obj)))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = set(self.get_readonly_fields(request, obj))
        money = self._money_fields()

        def shown(name: Any) -> Any:
            if isinstance(name, (list, tuple)):
                return tuple(shown(n) for n in name)
            alias = f"{name}{MONEY_SUFFIX}"
            return alias if isinstance(name, str) and name in money and alias in readonly else name

        return [
            (title, {**options, "fields": [shown(n) for n in options.get("fields", ())]})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> Any:
        # Another cooperative's object does not exist here: 404, as everywhere else (not the admin's
        # redirect with a message naming the id).
        raise Http404

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        related = db_field.related_model
        if related is not None and issubclass(related, TenantModel) and "queryset" not in kwargs:
            kwargs["queryset"] = _scope(related._default_manager.get_queryset(), request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if related is not None and issubclass(related, TenantModel) and "queryset" not in kwargs:
            kwargs["queryset"] = _scope(related._default_manager.get_queryset(), request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _role_may(self, request: HttpRequest, roles: tuple[str, ...]) -> bool:
        return bool(request.user.is_superuser or staff_role(request) in roles)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._role_may(request, STAFF_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._role_may(request, STAFF_ROLES)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._role_may(request, self.change_roles)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._role_may(request, self.add_roles)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._role_may(request, self.delete_roles)


class TenantAdmin(TenantScopedMixin, admin.ModelAdmin[Any]):
    def get_list_display(self, request: HttpRequest) -> Any:
        self._remember_currency(request)
        return self._money_names(list(super().get_list_display(request)), keep=self.list_editable)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and not getattr(obj, "cooperative_id", None):
            obj.cooperative = current_cooperative(request)
        super().save_model(request, obj, form, change)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and "cooperative" not in filters:
            filters.insert(0, "cooperative")
        return filters


class TenantTabularInline(TenantScopedMixin, admin.TabularInline[Any, Any]):
    extra = 0


class TenantStackedInline(TenantScopedMixin, admin.StackedInline[Any, Any]):
    extra = 0


class ReadOnlyTenantAdmin(TenantAdmin):
    change_roles = ()
    add_roles = ()


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "event", "actor", "object_type", "object_id")
    list_filter = ("event",)
    search_fields = ("event", "object_id", "actor__email")
    readonly_fields = ("cooperative", "actor", "event", "object_type", "object_id", "data", "created_at")


class ReferenceDataAdmin(admin.ModelAdmin[Any]):
    """Shared by every cooperative (not tenant data: VAT and base rates, payroll rules, collective
    agreements): a change here changes every cooperative's invoices or payslips, so only platform operators
    (superusers) add, change or delete rows; staff of a cooperative read them. Each change is audited in
    every cooperative's log, since it affects all of them (an audit row belongs to a cooperative)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or staff_role(request) in STAFF_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only to close a row (valid until) or fix a label: a rate that was valid stays as it was.
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def _audit(self, request: HttpRequest, event: str, obj: Any) -> None:
        data = {
            field.name: str(field.value_from_object(obj))
            for field in obj._meta.concrete_fields
            if not field.primary_key
        }
        actor = request.user if isinstance(request.user, AbstractBaseUser) else None
        for cooperative in Cooperative.objects.order_by("pk"):
            audit_log(
                cooperative=cooperative,
                actor=actor,
                event=event,
                obj=obj,
                data={"platform": True, **data},
            )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            label = obj._meta.model_name
            self._audit(request, f"{label}.{'changed' if change else 'added'}", obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._audit(request, f"{obj._meta.model_name}.deleted", obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, f"{obj._meta.model_name}.deleted", obj)
            super().delete_queryset(request, queryset)
