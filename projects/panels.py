"""Sections that apps above `projects` add to the project page (invoices, payouts), without `projects`
importing them: each registers a callable in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from projects.models import Project

ProjectPanel = Callable[[HttpRequest, Project], SafeString | str]
_panels: list[ProjectPanel] = []


def register_project_panel(panel: ProjectPanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def project_panels(request: HttpRequest, project: Project) -> list[SafeString | str]:
    """Rendered HTML of every registered panel, in registration order."""
    return [panel(request, project) for panel in _panels]
