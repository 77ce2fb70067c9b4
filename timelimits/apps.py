from django.apps import AppConfig


class TimelimitsConfig(AppConfig):
    name = "timelimits"
    verbose_name = "Time limits"

    def ready(self) -> None:
        from cases.workflow import on_transition

        from .services import clock_follow_transition

        # The clock moves with the case's status, inside the transaction of the transition that moves it.
        on_transition(clock_follow_transition)
