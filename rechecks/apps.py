from django.apps import AppConfig


class RechecksConfig(AppConfig):
    name = "rechecks"
    verbose_name = "Permit re-checks"
