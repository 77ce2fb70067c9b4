"""The audit trail cannot be changed from inside the application either: the admin shows it read-only, deleting
what an event points at is refused, and no code outside audit/ writes to it except through audit_record.

The model's own refusals and the PostgreSQL trigger against raw UPDATE and DELETE are in test_infrastructure; this
adds a statement without a WHERE, the trigger's presence in the catalogue, and the application's other doors."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client, RequestFactory

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_in_one_insert, audit_record

from .factories import make_case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


@pytest.fixture
def event(officer):
    return audit_record(actor=officer, verb="test.event", target=officer, after={"x": 1})


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", email="root@example.org", password="x" * 12)


@on_postgres
@pytest.mark.postgres
def test_the_trigger_is_installed_and_enabled():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
        )
        assert cursor.fetchall() == [("O",)]


@on_postgres
@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET message = 'rewritten'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET actor_id = NULL, actor_name = 'someone else'",
    ],
)
def test_database_refuses_statements_over_the_whole_trail(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk, message="", actor_name=event.actor_name).exists()


def test_admin_grants_no_add_change_or_delete(event, superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    admin = site._registry[AuditEvent]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, event)
    assert not admin.has_delete_permission(request, event)
    assert "delete_selected" not in admin.get_actions(request)


def test_admin_pages_show_the_trail_but_refuse_edits(event, superuser):
    client = Client()
    client.force_login(superuser)
    base = "/admin/audit/auditevent/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}{event.pk}/change/").status_code in (200, 403)
    assert client.post(f"{base}{event.pk}/change/", {"verb": "rewritten"}).status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}add/", {"verb": "forged"}).status_code == 403
    response = client.post(base, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, verb="test.event").exists()


def test_deleting_what_the_trail_points_at_is_refused(officer):
    case = make_case(officer)
    events = AuditEvent.objects.filter(case=case).count()
    assert events > 0
    with pytest.raises(ProtectedError), transaction.atomic():
        case.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        officer.delete()
    assert AuditEvent.objects.filter(case=case).count() == events


WRITES = re.compile(r"AuditEvent\.objects[^\n]*\.(update|delete|bulk_update|bulk_create|create|get_or_create)\(")


def test_no_code_outside_audit_writes_the_trail_but_audit_record():
    """Every write goes through audit_record; a queryset write anywhere else fails here."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "var", "tests", "audit"} or "migrations" in relative.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITES.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_events_recorded_in_one_insert_keep_their_order_and_vanish_with_an_error(officer, django_assert_num_queries):
    before = AuditEvent.objects.count()
    with django_assert_num_queries(2), audit_in_one_insert():  # the count inside, and the one INSERT
        for n in range(3):
            audit_record(actor=officer, verb=f"test.batched{n}", target=officer)
        with audit_in_one_insert():  # an inner block is part of the outer one
            audit_record(actor=None, verb="test.batched3", target=officer)
        assert AuditEvent.objects.count() == before  # not written until the block ends
    events = list(AuditEvent.objects.filter(verb__startswith="test.batched").order_by("at", "id"))
    assert [e.verb for e in events] == [f"test.batched{n}" for n in range(4)]
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert [e.actor_name for e in events] == ["officer"] * 3 + ["system"]

    with pytest.raises(ValueError), transaction.atomic(), audit_in_one_insert():
        audit_record(actor=officer, verb="test.lost", target=officer)
        raise ValueError("the change fails")
    assert not AuditEvent.objects.filter(verb="test.lost").exists()
    # Outside a block every event is written at once.
    audit_record(actor=officer, verb="test.alone", target=officer)
    assert AuditEvent.objects.filter(verb="test.alone").exists()


def test_a_screening_writes_its_events_in_one_statement_in_order(officer, django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django.test.utils import CaptureQueriesContext

    from cases.services import case_submit

    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    case = make_case(officer)
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        case_submit(case=case, actor=officer)
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 2  # the submission's event; the screening's three
    verbs = list(AuditEvent.objects.filter(case=case).order_by("at", "id").values_list("verb", flat=True))
    assert verbs[-4:] == ["case.submit", "case.screened", "case.screen", "case.routed"]
