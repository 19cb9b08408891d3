"""The advisors' backend for projects: review queue, contract documents inline, decisions with comments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.models import User
from projects import services
from projects.models import (
    Account,
    Client,
    Collaboration,
    Document,
    Expense,
    JournalEntry,
    JournalLine,
    Project,
    ProjectStatusChange,
)
from smartprod.core.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantTabularInline
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import request_context
from smartprod.tenancy.models import Membership


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(str(_("Act from a cooperative you are a member of.")))
    return membership


@admin.register(Client)
class ClientAdmin(TenantAdmin):
    list_display = (
        "name",
        "kind",
        "city",
        "country",
        "vat_id",
        "email",
        "public_sector",
        "reminder_fees_agreed",
    )
    # Country: only the countries in use.
    list_filter = (
        "kind",
        ("country", admin.AllValuesFieldListFilter),
        "public_sector",
        "reminder_fees_agreed",
    )
    search_fields = ("name", "vat_id", "email", "city")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        if not change and isinstance(request.user, User):  # the backend is for signed-in people only
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class DocumentInline(TenantTabularInline):
    model = Document
    fields = ("kind", "download", "content_type", "size_display", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False
    change_roles = ()
    add_roles = ()

    @admin.display(description=_("file"))
    def download(self, obj: Document) -> str:
        if obj.pk is None:
            return "–"  # the empty row a superuser may add (others see documents only)
        return format_html(
            '<a href="{}">{}</a>', reverse("document_download", args=[obj.pk]), obj.original_name
        )

    @admin.display(description=_("size"))
    def size_display(self, obj: Document) -> str:
        return str(filesizeformat(obj.size))


class CollaborationInline(TenantTabularInline):
    model = Collaboration
    fields = ("membership", "employment")
    readonly_fields = fields
    can_delete = False
    change_roles = ()
    add_roles = ()


class HistoryInline(TenantTabularInline):
    model = ProjectStatusChange
    fields = ("created_at", "actor", "from_status", "to_status", "comment")
    readonly_fields = fields
    can_delete = False
    change_roles = ()
    add_roles = ()
    verbose_name_plural = _("review history")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve")),
            ("request_changes", _("Ask for changes")),
            ("reject", _("Reject")),
        ],
        # No answer chosen in advance: an advisor who saves without reading has to pick one.
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision: approve, ask for changes or reject.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when asking for changes or rejecting; the member sees it."),
    )


class ReviewQueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("review", _("Waiting for review")), ("mine", _("My projects to review"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Project]) -> QuerySet[Project]:
        if self.value() == "review":
            return queryset.filter(status=Project.Status.SUBMITTED)
        if self.value() == "mine":
            return queryset.filter(
                status=Project.Status.SUBMITTED, advisor=request_context(request).membership
            )
        return queryset


@admin.register(Project)
class ProjectAdmin(TenantAdmin):
    list_display = ("title", "owner", "client", "status_badge", "agreed_net_amount", "advisor", "updated_at")
    list_filter = (ReviewQueueFilter, "status", "advisor", "vat_treatment")
    search_fields = ("title", "client__name", "owner__user__email", "owner__user__last_name")
    list_select_related = ("owner__user", "client", "advisor__user")
    inlines = [DocumentInline, CollaborationInline, HistoryInline]
    actions = ["approve_selected"]
    add_roles = ()
    # Contract terms change only through the owner and a new review; staff assign the advisor.
    fields = (
        "title",
        "owner",
        "client",
        "description",
        "service_period_start",
        "service_period_end",
        "agreed_net_amount",
        "vat_treatment",
        "exemption_text",
        "owner_employment",
        "status",
        "advisor",
        "review_link",
    )
    readonly_fields = (
        "title",
        "owner",
        "client",
        "description",
        "service_period_start",
        "service_period_end",
        "agreed_net_amount",
        "vat_treatment",
        "exemption_text",
        "owner_employment",
        "status",
        "review_link",
    )
    change_roles = ("advisor", "admin")

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Project) -> str:
        return format_html('<span data-status="{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("review"))
    def review_link(self, obj: Project) -> str:
        if obj.status != Project.Status.SUBMITTED:
            return "–"
        url = reverse("admin:projects_project_review", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Review this project"))

    def get_urls(self) -> list[URLPattern]:
        review = path(
            "<int:object_id>/review/",
            self.admin_site.admin_view(self.review_view),
            name="projects_project_review",
        )
        return [review, *super().get_urls()]

    def review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise Http404
        project = self.get_queryset(request).filter(pk=object_id).first()
        if project is None:
            raise Http404  # another cooperative's project does not exist here
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.project_transition(
                    cooperative=project.cooperative,
                    actor=_actor(request),
                    project=project,
                    action=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                for field, errors in exc.details.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error))
            else:
                self.message_user(
                    request,
                    _("Decision saved: %(title)s is now %(status)s.")
                    % {
                        "title": project.title,
                        "status": Project.Status(
                            Project.objects.for_cooperative(project.cooperative)
                            .values_list("status", flat=True)
                            .get(pk=project.pk)
                        ).label,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:projects_project_change", args=[project.pk]))
        documents = Document.objects.for_cooperative(project.cooperative).filter(project=project)
        history = (
            ProjectStatusChange.objects.for_cooperative(project.cooperative)
            .filter(project=project)
            .select_related("actor")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review: %(title)s") % {"title": project.title},
            "project": project,
            "form": form,
            "documents": documents,
            "history": history,
            "opts": self.model._meta,
            "original": project,
        }
        return render(request, "admin/projects/review.html", context)

    @admin.action(description=_("Approve selected submitted projects"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        done = 0
        for project in queryset:
            try:
                services.project_approve(
                    cooperative=project.cooperative, actor=_actor(request), project=project
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{project}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request, _("%(count)d project(s) approved.") % {"count": done}, messages.SUCCESS
            )


class ExpenseRejectForm(forms.Form):
    comment = forms.CharField(label=_("Why is it rejected?"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Expense)
class ExpenseAdmin(TenantAdmin):
    list_display = (
        "date",
        "description",
        "project",
        "submitted_by",
        "amount",
        "vat_amount",
        "status",
        "receipt_link",
    )
    list_filter = ("status",)
    search_fields = ("description", "project__title")
    list_select_related = ("project", "submitted_by__user", "receipt")
    readonly_fields = (
        "project",
        "submitted_by",
        "amount",
        "vat_amount",
        "vat_deductible",
        "date",
        "description",
        "receipt_link",
        "status",
        "decided_by",
        "decided_at",
        "decision_comment",
        "journal_entry",
    )
    fields = readonly_fields
    actions = ["approve_selected", "approve_vat_deductible", "reject_selected"]
    add_roles = ()

    @admin.action(description=_("Approve selected expenses, deducting the receipt VAT (finance)"))
    def approve_vat_deductible(self, request: HttpRequest, queryset: QuerySet[Expense]) -> None:
        """Finance confirms the receipts are addressed to the cooperative (or small-amount invoices): the
        budget carries the amount without the VAT, which goes to input VAT."""
        done = 0
        for expense in queryset:
            try:
                services.expense_approve(
                    cooperative=expense.cooperative,
                    actor=_actor(request),
                    expense=expense,
                    vat_deductible=True,
                    receipt_addressed_to_cooperative=True,
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{expense}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request, _("%(count)d expense(s) approved.") % {"count": done}, messages.SUCCESS
            )

    @admin.display(description=_("receipt"))
    def receipt_link(self, obj: Expense) -> str:
        if obj.receipt_id is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("document_download", args=[obj.receipt_id]), _("receipt")
        )

    @admin.action(description=_("Approve selected expenses"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Expense]) -> None:
        done = 0
        for expense in queryset:
            try:
                services.expense_approve(
                    cooperative=expense.cooperative, actor=_actor(request), expense=expense
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{expense}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request, _("%(count)d expense(s) approved.") % {"count": done}, messages.SUCCESS
            )

    @admin.action(description=_("Reject selected expenses…"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Expense]) -> HttpResponse | None:
        form = ExpenseRejectForm(request.POST if "comment" in request.POST else None)
        if form.is_bound and form.is_valid():
            for expense in queryset:
                try:
                    services.expense_reject(
                        cooperative=expense.cooperative,
                        actor=_actor(request),
                        expense=expense,
                        comment=form.cleaned_data["comment"],
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{expense}: {exc.message}", messages.ERROR)
            return None
        return render(
            request,
            "admin/projects/expense_reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject expenses"),
                "form": form,
                "expenses": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


class JournalLineInline(TenantTabularInline):
    model = JournalLine
    fields = ("account", "debit", "credit", "kind", "description", "project")
    readonly_fields = fields
    can_delete = False
    change_roles = ()
    add_roles = ()


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyTenantAdmin):
    """The ledger is read-only everywhere: corrections are reversals posted by services."""

    list_display = ("date", "description", "idempotency_key", "reverses", "created_by")
    search_fields = ("description", "idempotency_key")
    date_hierarchy = "date"
    inlines = [JournalLineInline]
    readonly_fields = (
        "date",
        "description",
        "idempotency_key",
        "reverses",
        "source_type",
        "source_id",
        "created_by",
        "created_at",
    )


@admin.register(Account)
class AccountAdmin(ReadOnlyTenantAdmin):
    list_display = ("code", "name", "type", "project", "client", "payee")
    list_filter = ("type",)
    search_fields = ("code", "name")
