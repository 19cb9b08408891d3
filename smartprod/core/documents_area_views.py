"""The documents area: `/documents/` (page) and `GET /api/documents/` (API).

Thin: the list comes from smartprod.core.documents_area (one union query of every app's documents of the
person, counted and sliced in PostgreSQL). Both take `project`, `kind` and `q`; every row links to its
app's access-checked download view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from smartprod.core.api import PAGE_PARAMETERS, CooperativeMixin, page_of, parse
from smartprod.core.documents_area import (
    MAX_QUERY_LENGTH,
    DocumentEntry,
    DocumentFilters,
    document_entries,
    document_list,
    kind_choices,
    project_choices,
)
from smartprod.core.pagination import Pagination
from smartprod.core.rows import present_rows
from smartprod.tenancy.context import require_membership

PAGE_SIZE = 50
MAX_ID = 2**31 - 1


class DocumentFilterForm(forms.Form):
    project = forms.TypedChoiceField(label=_("Project"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    q = forms.CharField(label=_("Name or number"), required=False, max_length=MAX_QUERY_LENGTH)

    def __init__(self, *args: Any, projects: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field: Any = self.fields["project"]
        project_field.choices = [("", _("All projects")), *projects]
        kind_field: Any = self.fields["kind"]
        kind_field.choices = [("", _("All kinds")), *kind_choices()]

    def filters(self) -> DocumentFilters:
        data = self.cleaned_data
        return DocumentFilters(
            project_id=data.get("project"), kind=data.get("kind") or "", q=data.get("q") or ""
        )


@login_required
@require_http_methods(["GET"])
def documents_page(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    projects = project_choices(cooperative=cooperative, membership=membership)
    form = DocumentFilterForm(request.GET, projects=projects)
    page = None
    entries: list[DocumentEntry] = []
    query = ""
    if form.is_valid():
        filters = form.filters()
        rows = document_list(cooperative=cooperative, membership=membership, filters=filters)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        entries = document_entries(list(page.object_list))
        query = urlencode(
            {
                k: v
                for k, v in {"project": filters.project_id, "kind": filters.kind, "q": filters.q}.items()
                if v
            }
        )
    filtered = any(request.GET.get(name) for name in ("project", "kind", "q"))
    return render(
        request,
        "core/documents_area.html",
        {"form": form, "page": page, "entries": entries, "query": query, "filtered": filtered},
    )


# --- API ------------------------------------------------------------------------------------------


class DocumentQuerySerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(required=False, choices=[])
    q = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field: Any = self.fields["kind"]
        kind_field.choices = kind_choices()


class DocumentsAreaEntrySerializer(serializers.Serializer[DocumentEntry]):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    name = serializers.CharField()
    number = serializers.CharField(allow_blank=True)
    project_id = serializers.IntegerField(allow_null=True)
    project_title = serializers.CharField(allow_blank=True)
    date = serializers.DateField()
    url = serializers.CharField(help_text="The access-checked download of the document")


def _kind_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        "kind",
        OpenApiTypes.STR,
        description="Only documents of this kind: contract, receipt, other, invoice, credit_note, "
        "dunning_letter, fee_note, payslip",
    )


class DocumentListApi(APIView, CooperativeMixin):
    @extend_schema(
        operation_id="documents_list",
        tags=["documents"],
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("project", OpenApiTypes.INT, description="Only documents of this project"),
            _kind_parameter(),
            OpenApiParameter("q", OpenApiTypes.STR, description="A piece of the document's name or number"),
        ],
        responses=page_of("DocumentsAreaPage", DocumentsAreaEntrySerializer),
    )
    def get(self, request: Request) -> Response:
        """The person's documents, newest first: their projects' and their own fee notes and payslips."""
        query = parse(DocumentQuerySerializer, request.query_params)
        filters = DocumentFilters(
            project_id=query.get("project"), kind=query.get("kind", ""), q=query.get("q", "")
        )
        rows = document_list(cooperative=self.cooperative, membership=self.membership, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        entries = document_entries(list(page or []))
        return paginator.get_paginated_response(present_rows(DocumentsAreaEntrySerializer, entries))
