"""A permit's facts are indexed once its issue commits, by a task, so issuing costs no extra query and a
rolled-back issue indexes nothing. Whatever path issued the permit (direct, on approval, an amendment), it is
saved once with created=True."""

from django.db import transaction


def permit_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created or kwargs.get("raw"):
        return
    permit_id = instance.pk

    def enqueue() -> None:
        from .tasks import recheck_index_permit

        recheck_index_permit.delay(permit_id)

    # robust: a broker that is down must not fail the issue; the next run's backfill indexes the permit.
    transaction.on_commit(enqueue, robust=True)
