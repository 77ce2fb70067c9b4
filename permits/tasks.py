from celery import shared_task

from .workflow import permits_expire_due


@shared_task
def expire_permits() -> list[str]:
    """Daily: permits whose validity has ended become expired."""
    return permits_expire_due()
