"""Thin: load the job by id and run it through one service, which claims it first (a second delivery finds it
claimed and does nothing). A lost database retries with backoff; anything else fails the task visibly."""

from celery import shared_task

from . import services


@shared_task(
    bind=True,
    autoretry_for=services.TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=8,
    acks_late=True,
)
def import_job_run(self, job_id: int) -> str:
    return services.import_job_run(job_id=job_id).status
