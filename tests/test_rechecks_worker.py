"""A re-check on real Celery workers (separate processes, Redis, the committed test database): one worker is
killed in the middle of the run, the run is resumed, another worker finishes it, and every permit that changed
has exactly one finding.

Skipped only where the services are not configured (no REDIS_URL, or SQLite); .ci/run configures both."""

import os
import signal
from datetime import date

import pytest
from django.db import connection

from config.celery import app
from rechecks.models import Finding, RecheckChunk, RecheckRun
from rechecks.services import recheck_run_resume

from .recheck_helpers import no_capture, pack_variant, permit_on, publish, start_worker, stop_worker, wait_for
from .test_rechecks import HO_OXIDE

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no broker to run a worker against")
    if connection.vendor == "sqlite":
        pytest.skip("a worker process cannot see an SQLite test database")
    app.control.purge()
    yield
    app.control.purge()
    # The killed worker's message waits in Redis's unacknowledged set to be restored after the visibility
    # timeout; its run is gone with this test's database, so it must not reach a later test's worker.
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).delete("unacked", "unacked_index")
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def test_a_killed_worker_leaves_a_run_that_resumes_to_the_same_findings(broker, settings, officer, reviewer):
    settings.RECHECK_CHUNK_SIZE = 1
    app.conf.task_always_eager = True  # build the population in-process: cases are screened as they are submitted
    publish(pack_variant("base", drop_rules=["CN-57-1"]))
    holmium = [permit_on(officer, reviewer, no_capture, items=[HO_OXIDE]) for _ in range(24)]
    others = [permit_on(officer, reviewer, no_capture) for _ in range(3)]
    app.conf.task_always_eager = False

    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    run = RecheckRun.objects.get(new_version=new)  # its start task waits in Redis for a worker

    first = start_worker("first")
    try:
        wait_for(lambda: RecheckRun.objects.filter(pk=run.pk, done__gte=3).exists(), 90, "three permits checked")
        stop_worker(first, signal.SIGKILL)  # the machine dies: no warm shutdown, its task is never acknowledged
    finally:
        stop_worker(first, signal.SIGKILL)
    run.refresh_from_db()
    assert run.status == "running" and 3 <= run.done < run.total == len(holmium), (run.done, run.total)

    app.control.purge()  # what the dead worker left queued is gone too: resume alone must finish the run
    queued = recheck_run_resume(run=run)
    assert queued == list(
        RecheckChunk.objects.filter(run=run, status="pending").order_by("index").values_list("index", flat=True)
    )
    second = start_worker("second")
    try:
        wait_for(lambda: RecheckRun.objects.filter(pk=run.pk, status="done").exists(), 120, "the run to complete")
    finally:
        stop_worker(second)

    run.refresh_from_db()
    findings = list(Finding.objects.filter(run=run).values_list("permit_id", flat=True))
    assert sorted(findings) == sorted(p.pk for p in holmium)  # none missing, none twice (and unique anyway)
    assert (run.total, run.done, run.changed, run.failed) == (24, 24, 24, 0)
    assert not RecheckChunk.objects.filter(run=run, status="pending").exists()
    assert not Finding.objects.filter(permit__in=others).exists()
    assert run.finished_at is not None
