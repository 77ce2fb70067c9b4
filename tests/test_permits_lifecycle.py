"""The permit lifecycle table: every action from every status, who may act, reasons, audit and stale writes."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from permits.models import Permit, PermitStatus
from permits.workflow import TRANSITIONS, By, PermitChanged, TransitionNotAllowed, permit_transition, permits_expire_due

from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def permit(db, officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    return issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)


def actor_for(transition, officer, reviewer):
    return {By.AUTHORITY: reviewer, By.HOLDER: officer, By.SYSTEM: None}[transition.by]


def put_in(permit, status):
    # Test setup: place the permit in a status directly, as an earlier transition would have.
    Permit.objects.filter(pk=permit.pk).update(status=status)
    permit.refresh_from_db()
    return permit


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_from_every_status(action, permit, officer, reviewer):
    transition = TRANSITIONS[action]
    actor = actor_for(transition, officer, reviewer)
    for status in PermitStatus.values:
        put_in(permit, status)
        version, events = permit.version, AuditEvent.objects.count()
        if status in transition.sources:
            done = permit_transition(permit=permit, action=action, actor=actor, reason="Because.")
            assert (done.status, done.version) == (transition.target, version + 1)
            event = AuditEvent.objects.latest("id")
            assert event.verb == f"permit.{action}" and event.actor == actor and event.message == "Because."
            assert (event.before, event.after) == ({"status": status}, {"status": transition.target})
        else:
            with pytest.raises(TransitionNotAllowed, match=f"'{transition.label}' is not allowed while permit"):
                permit_transition(permit=permit, action=action, actor=actor, reason="Because.")
            fresh = Permit.objects.get(pk=permit.pk)
            assert (fresh.status, fresh.version) == (status, version)
            assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_only_the_right_party_acts(action, permit, officer, other_officer, reviewer, auditor):
    transition = TRANSITIONS[action]
    put_in(permit, next(iter(transition.sources)))
    right = actor_for(transition, officer, reviewer)
    for wrong in (officer, other_officer, reviewer, auditor, None):
        if wrong is right:
            continue
        with pytest.raises(PermissionDenied):
            permit_transition(permit=permit, action=action, actor=wrong, reason="Because.")
    assert Permit.objects.get(pk=permit.pk).version == permit.version


def test_suspend_and_reinstate_need_reasons(permit, reviewer):
    with pytest.raises(ValidationError, match="Give a reason to suspend"):
        permit_transition(permit=permit, action="suspend", actor=reviewer, reason="  ")
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.ISSUED
    permit_transition(permit=permit, action="suspend", actor=reviewer, reason="End user under investigation.")
    assert permit.status_reason == "End user under investigation."
    permit_transition(permit=permit, action="reinstate", actor=reviewer, reason="Investigation closed.")
    assert (permit.status, permit.version) == (PermitStatus.ISSUED, 3)


def test_holder_surrenders_without_reason(permit, officer):
    permit_transition(permit=permit, action="surrender", actor=officer)
    assert permit.status == PermitStatus.SURRENDERED


def test_unknown_action_is_refused(permit, reviewer):
    with pytest.raises(TransitionNotAllowed, match="Unknown action 'approve'"):
        permit_transition(permit=permit, action="approve", actor=reviewer)


def test_stale_copy_loses(permit, reviewer):
    stale = Permit.objects.get(pk=permit.pk)
    permit_transition(permit=permit, action="suspend", actor=reviewer, reason="First.")
    stale.status = PermitStatus.ISSUED  # what the second reviewer still sees
    with pytest.raises(PermitChanged, match="changed by someone else"):
        permit_transition(permit=stale, action="revoke", actor=reviewer, reason="Second.")
    fresh = Permit.objects.get(pk=permit.pk)
    assert (fresh.status, fresh.version, fresh.status_reason) == (PermitStatus.SUSPENDED, 2, "First.")


def test_expiry_runs_on_the_day_after_validity_ends(permit):
    assert permit.valid_to == date(2026, 12, 31)
    assert permits_expire_due(today=date(2026, 12, 31)) == []
    assert permits_expire_due(today=date(2027, 1, 1)) == [permit.number]
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED
    event = AuditEvent.objects.get(verb="permit.expire")
    assert event.actor is None and event.actor_name == "system"
    assert permits_expire_due(today=date(2027, 1, 2)) == []
