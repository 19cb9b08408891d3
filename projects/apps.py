from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects and budgets")

    def ready(self) -> None:
        from members.dashboard import register_dashboard_part
        from members.demo_hooks import register_demo_hook
        from projects.dashboard import projects_dashboard
        from projects.demo import seed_projects

        register_demo_hook(seed_projects)
        register_dashboard_part(projects_dashboard)
