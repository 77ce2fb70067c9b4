"""Screening through a real Celery worker on Redis, against a committed database (PostgreSQL in CI).

Skipped only where the services are not configured (no REDIS_URL, or an in-memory SQLite test database that a
worker thread cannot see); .ci/run configures both, so CI always runs these."""

import io
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.db import connection

from cases.models import Case
from cases.services import case_submit
from config.celery import app
from screening.models import Screening

from .factories import make_case

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no broker to run a worker against")
    if connection.vendor == "sqlite":
        pytest.skip("a worker thread cannot see an in-memory SQLite test database")
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def test_submitted_case_is_screened_by_the_worker(worker, officer):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    draft = make_case(officer)
    case_submit(case=draft, actor=officer)  # enqueues after commit (no test transaction wraps this test)
    result = None
    for _ in range(100):
        result = Screening.objects.filter(case=draft).first()
        if result is not None and Case.objects.get(pk=draft.pk).status == "screened":
            break
        time.sleep(0.1)
    assert result is not None, "the worker did not store a screening within 10 s"
    assert result.outcome == "licence_required"
    assert Case.objects.get(pk=draft.pk).status == "screened"
