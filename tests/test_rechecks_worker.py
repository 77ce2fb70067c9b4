"""A re-check on real Celery workers (separate processes, Redis, the committed test database): one worker is
killed in the middle of the run, the run is resumed, another worker finishes it, and every permit that changed
has exactly one finding.

Skipped only where the services are not configured (no REDIS_URL, or SQLite); .ci/run configures both."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from rechecks.models import Finding, RecheckChunk, RecheckRun
from rechecks.services import recheck_run_resume

from .recheck_helpers import pack_variant, permit_on, publish
from .test_rechecks import HO_OXIDE

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


class _Capture:
    """In a transactional test every commit runs its callbacks at once: nothing to capture."""

    def __call__(self, execute=True):
        from contextlib import nullcontext

        return nullcontext()


def _worker_env() -> dict:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "PYTHONPATH": str(ROOT),
    }


def _start_worker(name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=_worker_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


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
    holmium = [permit_on(officer, reviewer, _Capture(), items=[HO_OXIDE]) for _ in range(24)]
    others = [permit_on(officer, reviewer, _Capture()) for _ in range(3)]
    app.conf.task_always_eager = False

    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    run = RecheckRun.objects.get(new_version=new)  # its start task waits in Redis for a worker

    first = _start_worker("first")
    try:
        _wait(lambda: RecheckRun.objects.filter(pk=run.pk, done__gte=3).exists(), 90, "three permits checked")
        _stop(first, signal.SIGKILL)  # the machine dies: no warm shutdown, its task is never acknowledged
    finally:
        _stop(first, signal.SIGKILL)
    run.refresh_from_db()
    assert run.status == "running" and 3 <= run.done < run.total == len(holmium), (run.done, run.total)

    app.control.purge()  # what the dead worker left queued is gone too: resume alone must finish the run
    queued = recheck_run_resume(run=run)
    assert queued == list(
        RecheckChunk.objects.filter(run=run, status="pending").order_by("index").values_list("index", flat=True)
    )
    second = _start_worker("second")
    try:
        _wait(lambda: RecheckRun.objects.filter(pk=run.pk, status="done").exists(), 120, "the run to complete")
    finally:
        _stop(second)

    run.refresh_from_db()
    findings = list(Finding.objects.filter(run=run).values_list("permit_id", flat=True))
    assert sorted(findings) == sorted(p.pk for p in holmium)  # none missing, none twice (and unique anyway)
    assert (run.total, run.done, run.changed, run.failed) == (24, 24, 24, 0)
    assert not RecheckChunk.objects.filter(run=run, status="pending").exists()
    assert not Finding.objects.filter(permit__in=others).exists()
    assert run.finished_at is not None
