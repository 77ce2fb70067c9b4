from django.apps import AppConfig


class RfisConfig(AppConfig):
    name = "rfis"
    verbose_name = "Requests for information"
