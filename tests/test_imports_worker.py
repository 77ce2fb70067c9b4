"""An import's progress seen from outside while the import's own transaction is still open: through a second
connection in-process, and from a real Celery worker importing the 2022 Consolidated Screening List (14,159
entries) while this test polls the job's row as its page would.

Both need PostgreSQL (SQLite allows one writer, and the counts then appear at the end); the worker test also
needs REDIS_URL. .ci/run configures both."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from config.celery import app, worker_command
from imports.models import ImportJob
from imports.progress import JobProgress
from imports.services import import_job_submit_list
from parties.models import ListVersion

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
CSL = ROOT / "parties" / "data" / "us_csl_2022.csv.gz"


def _other_connection():
    """A connection of the test's own, as the polling page's request would have."""
    main = connections["default"]
    return type(main)(dict(main.settings_dict), "default")


def _read(other, job_id: int) -> tuple:
    with other.cursor() as cursor:
        cursor.execute("SELECT status, stage, done, total FROM imports_importjob WHERE id = %s", [job_id])
        return cursor.fetchone()


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("progress is written aside only on PostgreSQL")


def test_counts_written_inside_an_open_transaction_are_seen_at_once_and_outlive_its_rollback(postgresql, rule_admin):
    job = ImportJob.objects.create(kind="list", requested_by=rule_admin, status="running", stage="reading")
    other = _other_connection()
    try:
        with transaction.atomic(), JobProgress(job.pk, interval=0) as progress:
            progress(stage="writing", done=4000, total=14159)
            assert _read(other, job.pk) == ("running", "writing", 4000, 14159)
            transaction.set_rollback(True)  # the import fails: its rows go, the counts it reported stay
        assert _read(other, job.pk) == ("running", "writing", 4000, 14159)
        # A finished job's counts are not overwritten by a late report.
        ImportJob.objects.filter(pk=job.pk).update(status="done", done=14159)
        with transaction.atomic(), JobProgress(job.pk, interval=0) as progress:
            progress(stage="writing", done=6000, total=14159)
        assert _read(other, job.pk) == ("done", "writing", 14159, 14159)
    finally:
        other.close()


def test_reports_are_throttled_but_a_new_stage_is_always_written(postgresql, rule_admin):
    job = ImportJob.objects.create(kind="list", requested_by=rule_admin, status="running")
    other = _other_connection()
    try:
        with JobProgress(job.pk, interval=60) as progress:
            progress(stage="reading", done=1)
            progress(stage="reading", done=2)  # within the interval: not written
            assert _read(other, job.pk)[1:] == ("reading", 1, 0)
            progress(stage="writing", done=0, total=10)
            assert _read(other, job.pk)[1:] == ("writing", 0, 10)
    finally:
        other.close()


# --- on a real worker -------------------------------------------------------------------------------------------


def _worker_env(media_root: Path) -> dict:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media_root),  # where this test's upload was stored
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def broker(settings, postgresql):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no broker to run a worker against")
    app.control.purge()
    yield
    app.control.purge()
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.mark.worker
def test_a_worker_reports_records_read_and_rows_written_before_the_import_commits(broker, settings, rule_admin):
    app.conf.task_always_eager = False
    job = import_job_submit_list(
        actor=rule_admin, list_key="US-CSL", fmt="csl", uploads=[("us_csl_2022.csv.gz", CSL.read_bytes())]
    )  # committed: its task waits in Redis
    worker = subprocess.Popen(
        worker_command(hostname="imports"),
        cwd=ROOT, env=_worker_env(settings.MEDIA_ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    seen = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            row = ImportJob.objects.filter(pk=job.pk).values_list("status", "stage", "done", "total").get()
            imported = ListVersion.objects.filter(restricted_list__key="US-CSL").exists()
            seen.append((*row, imported))
            if row[0] in ("done", "failed"):
                break
            time.sleep(0.05)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 14159, 14159), (job.status, job.message)
    reading = [s for s in seen if s[0] == "running" and s[1] == "reading" and s[2] > 0]
    # The version is written in one transaction: rows written were visible before it committed (the last column
    # says whether the version could be seen yet).
    writing = [s for s in seen if s[0] == "running" and s[1] == "writing" and not s[4]]
    assert reading, "records read were visible while the files were parsed"
    assert any(0 < s[2] < s[3] == 14159 for s in writing), seen
    assert ListVersion.objects.get(restricted_list__key="US-CSL").entry_count == 14159
