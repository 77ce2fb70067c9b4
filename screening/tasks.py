from celery import shared_task
from django.db import OperationalError

from .services import case_screen


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
    acks_late=True,
)
def screen_case(self, case_id: int, trigger: str = "submission") -> str:
    """Thin: loads by id and calls the service, which is idempotent. Transient database errors retry with
    backoff; anything else fails loudly instead of being swallowed."""
    return case_screen(case_id=case_id, trigger=trigger).outcome
