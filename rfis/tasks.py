"""Daily tasks (see CELERY_BEAT_SCHEDULE). Thin: each calls one idempotent service with today's date, so a run
repeated or retried sends no second reminder and closes no case twice."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services import information_requests_lapse, information_requests_remind


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=8)
def remind_information_requests() -> int:
    return information_requests_remind(today=timezone.localdate())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=8)
def lapse_information_requests() -> int:
    return information_requests_lapse(today=timezone.localdate())
