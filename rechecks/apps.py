from django.apps import AppConfig


class RechecksConfig(AppConfig):
    name = "rechecks"
    verbose_name = "Permit re-checks"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from permits.models import Permit

        from .signals import permit_saved

        post_save.connect(permit_saved, sender=Permit, dispatch_uid="rechecks.permit_saved")
