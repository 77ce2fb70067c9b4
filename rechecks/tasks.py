"""Thin tasks: each loads by id and calls one service, which is idempotent. Transient database errors retry
with backoff (and are not swallowed); anything else fails the task visibly."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    bind=True, autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=120, max_retries=8, acks_late=True
)
def recheck_run_start(self, run_id: int) -> int:
    return services.recheck_run_start(run_id=run_id).chunk_count


@shared_task(
    bind=True, autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=120, max_retries=8, acks_late=True
)
def recheck_chunk(self, run_id: int, index: int) -> int:
    return services.recheck_chunk_process(run_id=run_id, index=index)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8, acks_late=True)
def recheck_index_permit(self, permit_id: int) -> int:
    return services.facets_index(permit_ids=[permit_id])


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5, acks_late=True)
def recheck_daily(self, today: str | None = None) -> int | None:
    """Beat runs this shortly after midnight; `today` may be given (ISO date) to check another day."""
    from datetime import date

    day = date.fromisoformat(today) if today else timezone.localdate()
    run = services.recheck_daily_date_check(today=day)
    return run.pk if run else None
