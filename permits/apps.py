from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "permits"
    verbose_name = "Permits"

    def ready(self) -> None:
        from cases.workflow import on_transition

        from .services import permit_issue_on_approval

        # Approval issues the permit inside the approval's transaction: an approved case without its permit
        # (or a permit without its approval) cannot be left behind.
        on_transition(permit_issue_on_approval)
