from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects and budgets")

    def ready(self) -> None:
        from members.dashboard import dashboard_parts
        from members.demo_hooks import demo_data
        from projects import notifications
        from projects.dashboard import projects_dashboard
        from projects.demo import seed_projects

        demo_data.register(seed_projects)
        dashboard_parts.register(projects_dashboard)
        notifications.register()
        from projects import documents_area

        documents_area.register()

        from projects.work_queue import projects_work_queue
        from smartprod.core.registry import work_queue_items

        work_queue_items.register(projects_work_queue)
