"""Faults: the database going away under the web app, and Redis and PostgreSQL going away under a re-check run on
a real Celery worker.

The machine's PostgreSQL and Redis are shared, so nothing here restarts them. The database "goes away" for the web
app by having its connections terminated (`pg_terminate_backend`, what a PostgreSQL restart or failover does to
them) and by pointing the app at an address where nothing listens (what it sees while the server is down). Redis is
restarted for real: a private redis-server started by the test on a free port, which the worker and this process
use as their broker. Skipped only where the services are not configured (SQLite; no REDIS_URL for the worker
tests); .ci/run configures both."""

import shutil
import signal
import socket
import subprocess
from contextlib import contextmanager
from datetime import date

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cases.models import Case

from .factories import make_case
from .recheck_helpers import no_capture, start_worker, stop_worker, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates PostgreSQL backends"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_connection() -> psycopg.Connection:
    """A connection of the test's own, outside Django's: it stays up while the app's connections are cut."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
        dbname=db["NAME"], autocommit=True,
    )  # fmt: skip


def _terminate_other_backends(admin: psycopg.Connection) -> int:
    """Cut every other connection to the test database, as a restart of PostgreSQL would."""
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    ).fetchall()
    return sum(1 for (done,) in rows if done)


@contextmanager
def _database_down():
    """While inside, the app's database is at an address where nothing listens: every new connection is refused."""
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(_free_port())
    try:
        yield
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = saved


def _assert_clear_503(response, *, api: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    for leak in ("Traceback", "OperationalError", "psycopg", django_settings.SECRET_KEY, "connection", "5432"):
        assert leak not in body, leak
    if api:
        assert response.json() == {"errors": {"": ["The database is not reachable; try again shortly."]}}
    else:
        assert [t.name for t in response.templates] == ["503.html"]
        assert "The database is not reachable; try again shortly." in body
        assert "briefly unavailable" in body


@pytest.mark.django_db(transaction=True)
def test_pages_and_api_answer_503_while_the_database_is_down_and_recover_after(officer):
    """The server is down for a while (connections refused), then back: every request in between answers a clear
    503, the first one after answers normally, and nothing was half-written."""
    case = make_case(officer)
    page = Client(raise_request_exception=False)
    page.force_login(officer)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=officer).key}")
    detail = reverse("cases:detail", kwargs={"reference": case.reference})
    assert page.get(detail).status_code == 200
    assert api.get("/api/v1/cases").status_code == 200
    cases_before = Case.objects.count()

    with _database_down():
        for _ in range(2):  # not a one-off: it stays a 503 for as long as the database is away
            _assert_clear_503(page.get(detail), api=False)
            _assert_clear_503(page.post(reverse("cases:new"), {"destination_country": "DE"}), api=False)
            _assert_clear_503(api.get("/api/v1/cases"), api=True)
            _assert_clear_503(api.post("/api/v1/cases", {}, content_type="application/json"), api=True)

    response = page.get(detail)
    assert response.status_code == 200 and case.reference in response.content.decode()
    assert api.get("/api/v1/cases").json()["count"] == 1
    assert Case.objects.count() == cases_before


@pytest.mark.django_db(transaction=True)
def test_connections_cut_by_a_restart_answer_503_once_then_the_app_reconnects(officer):
    """A restart or failover cuts the app's open connection: the request that finds it dead answers a clear 503
    (never a 500) and closes it, and the next request opens a new one and answers normally."""
    case = make_case(officer)
    page = Client(raise_request_exception=False)
    page.force_login(officer)
    detail = reverse("cases:detail", kwargs={"reference": case.reference})
    assert page.get(detail).status_code == 200
    with _admin_connection() as admin:
        assert _terminate_other_backends(admin) >= 1
    _assert_clear_503(page.get(detail), api=False)
    assert page.get(detail).status_code == 200


# --- A re-check run on a real worker while Redis restarts, the worker dies or its database connection is cut ------


class PrivateRedis:
    """A redis-server of this test's own on a free port, so it can be restarted without touching the machine's.
    Append-only with fsync on every write, as a broker that must not lose queued tasks is run; `durable=False`
    is a Redis that keeps nothing over a restart."""

    def __init__(self, folder, *, durable: bool = True):
        self.port = _free_port()
        self.folder = folder
        self.durable = durable
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", *persistence, "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        import redis

        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _answers(client), 20, "the private redis-server to answer")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.proc.wait(timeout=20)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def _answers(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False


@contextmanager
def _broker_at(url: str):
    """This process's Celery app sends to `url` (the worker is started with the same REDIS_URL). Afterwards the
    app is as it was, eager setting included (the tests switch it while they build their permits)."""
    from config.celery import app

    def point(broker, backend):
        app.conf.broker_url, app.conf.result_backend = broker, backend
        app._pool = None
        app.amqp._producer_pool = None
        app._backend_cache = None  # the result backend is made again from the new URL on its next use
        app._local.__dict__.pop("backend", None)

    saved = app.conf.broker_url, app.conf.result_backend
    eager = app.conf.task_always_eager
    point(url, url)
    try:
        yield app
    finally:
        point(*saved)
        app.conf.task_always_eager = eager


def _serving_redis(folder, *, durable: bool):
    """A private Redis, started, with this process's Celery app pointed at it; stopped afterwards."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(folder, durable=durable)
    server.start()
    try:
        with _broker_at(server.url):
            yield server
    finally:
        server.stop()


@pytest.fixture(params=[True, False], ids=["durable-redis", "redis-without-persistence"])
def redis_server(request, tmp_path):
    yield from _serving_redis(tmp_path, durable=request.param)


@pytest.fixture
def durable_redis(tmp_path):
    yield from _serving_redis(tmp_path, durable=True)


def _population(officer, reviewer, app):
    """Eight permits whose outcome the new rule set changes (one finding each) and two it cannot touch (the
    incremental selection leaves them out), built in-process; then the new version is published and its run
    waits in the broker for a worker."""
    from rechecks.models import RecheckRun

    from .recheck_helpers import pack_variant, permit_on, publish
    from .test_rechecks import HO_OXIDE

    app.conf.task_always_eager = True
    publish(pack_variant("base", drop_rules=["CN-57-1"]))
    changed = [permit_on(officer, reviewer, no_capture, items=[HO_OXIDE]) for _ in range(8)]
    same = [permit_on(officer, reviewer, no_capture) for _ in range(2)]
    app.conf.task_always_eager = False
    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    return RecheckRun.objects.get(new_version=new), changed, same


@contextmanager
def _row_locked(instance):
    """Hold a row lock on one model instance's row, on a connection of the test's own, until the block ends."""
    with _admin_connection() as admin:
        admin.execute("BEGIN")
        admin.execute(f"SELECT id FROM {instance._meta.db_table} WHERE id = %s FOR UPDATE", [instance.pk])
        try:
            yield admin
        finally:
            admin.execute("ROLLBACK")


def _permit_locked(permit):
    """Hold a row lock on one permit. Writing a finding for it takes a key-share lock on the permit row, so the
    chunk that holds it stops inside its recording transaction — findings written, chunk marked, not committed —
    until the lock goes: a worker caught in the middle of a chunk, every time, with no timing."""
    return _row_locked(permit)


def _blocked_backend() -> int | None:
    """The backend waiting for a row lock in the test database, if any. Asked on a fresh connection: within a
    transaction pg_stat_activity is a snapshot that would never change."""
    with _admin_connection() as admin:
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()"
        ).fetchone()
    return row[0] if row else None


def _backend_alive(pid: int) -> bool:
    with _admin_connection() as admin:
        return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() == (1,)


def _assert_complete_without_loss_or_doubles(run, changed, same) -> None:
    from rechecks.models import Finding, RecheckChunk

    run.refresh_from_db()
    findings = list(Finding.objects.filter(run=run).values_list("permit_id", flat=True))
    assert sorted(findings) == sorted(p.pk for p in changed)  # none lost, none twice
    assert (run.status, run.total, run.done, run.changed, run.failed) == ("done", 8, 8, 8, 0)
    assert not RecheckChunk.objects.filter(run=run).exclude(status="done").exists()
    assert not Finding.objects.filter(permit__in=same).exists()


def _chunk_of(run, permit):
    from rechecks.models import RecheckChunk

    return next(c for c in RecheckChunk.objects.filter(run=run) if permit.pk in c.permit_ids)


def _run_done(run) -> bool:
    from rechecks.models import RecheckRun

    return RecheckRun.objects.filter(pk=run.pk, status="done").exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_restarts_while_a_worker_is_in_the_middle_of_a_run(redis_server, settings, officer, reviewer):
    """Redis stops and starts again while the worker is inside a chunk (held there by a row lock). A durable Redis
    keeps the queued chunks: the worker reconnects and finishes the run by itself. A Redis that keeps nothing loses
    them: the run is left running with chunks pending and an empty queue, and `recheck_run_resume` (what
    `manage.py recheck_resume` calls) finishes it. Either way every changed permit has exactly one finding."""
    import redis

    from config.celery import app
    from rechecks.services import recheck_run_resume

    settings.RECHECK_CHUNK_SIZE = 1
    run, changed, same = _population(officer, reviewer, app)
    worker = None
    try:
        with _permit_locked(changed[4]):
            worker = start_worker("first", redis_url=redis_server.url)
            wait_for(_blocked_backend, 90, "the worker to reach the locked permit's chunk")
            run.refresh_from_db()
            assert run.status == "running" and run.done < run.total
            redis_server.restart()  # the broker goes away under the worker and comes back
        if not redis_server.durable:
            wait_for(lambda: _chunk_of(run, changed[4]).status == "done", 60, "the interrupted chunk to finish")
            run.refresh_from_db()
            assert run.status == "running" and run.done < run.total  # the queued chunks went with Redis
            assert redis.Redis.from_url(redis_server.url).llen("celery") == 0
            assert recheck_run_resume(run=run)  # the operator's remedy: queue again what is not done
        wait_for(lambda: _run_done(run), 120, "the run to complete")
    finally:
        if worker is not None:
            stop_worker(worker)
    _assert_complete_without_loss_or_doubles(run, changed, same)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_chunk_whose_database_connection_is_cut_is_retried(durable_redis, settings, officer, reviewer):
    """PostgreSQL drops the worker's connection in the middle of a chunk's recording transaction (findings written,
    not committed). The task fails with OperationalError, Celery retries it (autoretry with backoff), the retry
    finds the chunk still pending and records it: the run completes with each finding once, and the chunk shows
    two attempts."""
    from config.celery import app

    settings.RECHECK_CHUNK_SIZE = 1
    run, changed, same = _population(officer, reviewer, app)
    worker = None
    try:
        with _permit_locked(changed[4]):
            worker = start_worker("first", redis_url=durable_redis.url)
            pid = wait_for(_blocked_backend, 90, "the worker to reach the locked permit's chunk")
            with _admin_connection() as admin:
                assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        wait_for(lambda: _run_done(run), 120, "the run to complete")
    finally:
        if worker is not None:
            stop_worker(worker)
    _assert_complete_without_loss_or_doubles(run, changed, same)
    from rechecks.models import RecheckChunk

    attempts = dict(RecheckChunk.objects.filter(run=run).values_list("index", "attempts"))
    assert attempts.pop(_chunk_of(run, changed[4]).index) == 2
    assert set(attempts.values()) == {1}


def _run_locked(run):
    """Hold the run's row lock: a chunk's recording transaction updates the run's counters after writing its
    findings and marking itself done, so the first chunk to record stops there, half-way through its
    transaction."""
    return _row_locked(run)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_a_chunk_leaves_nothing_half_written_and_the_resumed_run_completes(
    durable_redis, settings, officer, reviewer
):
    """The worker dies (SIGKILL) inside a chunk's recording transaction, after the findings were inserted and the
    chunk marked done: PostgreSQL rolls the transaction back, so the chunk is pending again and none of its
    findings exist. `recheck_run_resume` and a second worker finish the run with each finding once.
    (tests/test_rechecks_worker.py kills a worker between chunks.)"""
    from config.celery import app
    from rechecks.models import Finding, RecheckChunk
    from rechecks.services import recheck_run_resume, recheck_run_start

    settings.RECHECK_CHUNK_SIZE = 1
    run, changed, same = _population(officer, reviewer, app)
    recheck_run_start(run_id=run.pk)  # chunks written and queued here; the queued start finds nothing to do
    first = second = None
    try:
        with _run_locked(run):
            first = start_worker("first", redis_url=durable_redis.url)
            pid = wait_for(_blocked_backend, 90, "the worker to reach the run's counters inside a chunk")
            stop_worker(first, signal.SIGKILL)
        # Its backend notices the dead client once the lock lets its statement finish, and rolls back.
        wait_for(lambda: not _backend_alive(pid), 30, "PostgreSQL to end the dead worker's transaction")
        run.refresh_from_db()
        assert (run.status, run.done) == ("running", 0)
        assert set(RecheckChunk.objects.filter(run=run).values_list("status", flat=True)) == {"pending"}
        assert not Finding.objects.filter(run=run).exists()
        assert recheck_run_resume(run=run)
        second = start_worker("second", redis_url=durable_redis.url)
        wait_for(lambda: _run_done(run), 120, "the run to complete")
    finally:
        for proc in (first, second):
            if proc is not None:
                stop_worker(proc, signal.SIGKILL)
    _assert_complete_without_loss_or_doubles(run, changed, same)
