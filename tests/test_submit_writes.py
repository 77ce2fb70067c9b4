"""What a submission inserts besides the case (its clock, its screening, the screening's audit events) goes in
through config/compiled_writes.insert_rows: the rows stored are the instances the services hold and answer with,
keys and stamped times included."""

import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from audit.models import AuditEvent
from audit.services import audit_in_one_insert, audit_record
from cases.services import case_submit
from screening.models import Screening
from screening.services import case_screen
from timelimits.services import clock_start

from .factories import make_case

pytestmark = pytest.mark.django_db


def stored_as_held(instance) -> None:
    stored = type(instance).objects.get(pk=instance.pk)
    assert model_to_dict(stored) == model_to_dict(instance)
    for field in ("created_at", "updated_at", "at"):
        if hasattr(instance, field):
            assert getattr(stored, field) == getattr(instance, field) is not None


def test_the_screening_stored_is_the_one_returned(officer):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    case = case_submit(case=make_case(officer), actor=officer)  # screening waits for a commit that never comes
    screening = case_screen(case_id=case.pk)
    assert not screening._state.adding
    stored_as_held(screening)
    assert Screening.objects.get(pk=screening.pk).determination["outcome"] == screening.outcome


def test_the_clock_stored_is_the_one_returned(officer):
    case = make_case(officer)
    clock = clock_start(case=case, on=case.created_at.date())
    assert not clock._state.adding
    stored_as_held(clock)


def test_events_held_for_one_insert_go_in_in_order_with_their_keys(officer):
    case = make_case(officer)
    with audit_in_one_insert():
        events = [
            audit_record(actor=officer, verb=f"test.{n}", target=case, case=case, after={"n": n}) for n in range(3)
        ]
        assert all(e.pk is None for e in events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    for event in events:
        stored_as_held(event)
    assert list(AuditEvent.objects.filter(verb__startswith="test.").values_list("after", flat=True)) == [
        {"n": 0},
        {"n": 1},
        {"n": 2},
    ]
