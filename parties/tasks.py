from celery import shared_task
from django.db import OperationalError

from .services import list_delta_rescreen


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8, acks_late=True)
def rescreen_list_delta(self, version_id: int) -> int:
    """Thin: calls the service, which raises each potential match once (a unique constraint makes a rerun safe)."""
    return len(list_delta_rescreen(version_id=version_id))
