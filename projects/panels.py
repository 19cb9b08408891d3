"""Sections that apps above `projects` add to the project page (invoices, payouts), without `projects`
importing them: each registers a callable in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from projects.models import Project
from smartprod.core.registry import Registry

ProjectPanel = Callable[[HttpRequest, Project], SafeString | str]
panels: Registry[ProjectPanel] = Registry("project page panels")


def project_panels(request: HttpRequest, project: Project) -> list[SafeString | str]:
    """Rendered HTML of every registered panel, in registration order."""
    return [panel(request, project) for panel in panels]
