from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and budgets"

    def ready(self) -> None:
        from members.demo_hooks import register_demo_hook
        from projects.demo import seed_projects

        register_demo_hook(seed_projects)
