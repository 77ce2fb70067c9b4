"""The services the suite runs against are the ones the environment names: when CI sets DATABASE_URL and
REDIS_URL, these tests fail (never skip) if PostgreSQL or Redis is not what answers."""

import os

import pytest
import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent, AuditTrailIsAppendOnly
from audit.services import audit_record

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the trigger exists on PostgreSQL only",
)


def test_database_is_the_one_configured():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    elif not url:
        assert connection.vendor == "sqlite"


def test_redis_answers_when_configured():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        assert settings.CELERY_TASK_ALWAYS_EAGER is True
        return
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    assert client.ping() is True
    key = f"licensa-test:{os.getpid()}"
    client.set(key, "ok", ex=30)
    assert client.get(key) == b"ok"
    client.delete(key)


def test_celery_reaches_its_broker():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=2)
        assert conn.connected


@pytest.fixture
def event(officer):
    return audit_record(actor=officer, verb="test.event", target=officer, after={"x": 1})


def test_model_refuses_to_change_or_delete_an_event(event):
    event.verb = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.event"


@on_postgres
@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET verb = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_database_refuses_raw_update_and_delete(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.event"


@on_postgres
@pytest.mark.postgres
def test_database_refuses_queryset_update_and_delete(event):
    # Querysets bypass the model's save() and delete(); the trigger still stops them.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, verb="test.event").exists()
