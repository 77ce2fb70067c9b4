from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from cases.workflow import guard_transition, on_transition

        from .notify import notify_after_transition
        from .services import DECISION_ACTIONS, decision_guard, route_after_screening

        # A decision rests on the recommendation (and countersignature) the review services record first.
        for action in DECISION_ACTIONS:
            guard_transition(action, decision_guard(action))

        # A case joins a queue the moment screening has stored its outcome, inside the same transaction.
        on_transition(route_after_screening)
        # Decisions and requests for countersignature reach people by e-mail once the change commits.
        on_transition(notify_after_transition)
