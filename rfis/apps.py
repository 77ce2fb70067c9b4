from django.apps import AppConfig


class RfisConfig(AppConfig):
    name = "rfis"
    verbose_name = "Requests for information"

    def ready(self) -> None:
        from cases.workflow import on_transition

        from .services import close_requests_with_case

        # A case withdrawn or closed while a request is open closes the request in the same transaction.
        on_transition(close_requests_with_case)
