from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from cases.workflow import on_transition

        from .notify import notify_after_transition
        from .services import route_after_screening

        # A case joins a queue the moment screening has stored its outcome, inside the same transaction.
        on_transition(route_after_screening)
        # Decisions and requests for countersignature reach people by e-mail once the change commits.
        on_transition(notify_after_transition)
