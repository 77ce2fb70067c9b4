"""The case transition table: every illegal transition is refused and changes nothing; who may take each one."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_submit, case_withdraw
from cases.vocab import CaseStatus
from cases.workflow import TRANSITIONS, Actor, TransitionNotAllowed, allowed_actions, case_transition
from permits.services import APPROVING_ACTIONS
from review.services import DECISION_ACTIONS

from .factories import make_case, make_user, recommended_for
from .permit_helpers import load_rules, screened_case

pytestmark = pytest.mark.django_db


def _at(case: Case, status: str) -> Case:
    """The case put straight into `status`, as a test's starting point."""
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


@pytest.fixture
def people(officer, reviewer, senior_reviewer):
    return {
        Actor.OFFICER: officer,
        Actor.REVIEWER: reviewer,
        Actor.SENIOR_REVIEWER: senior_reviewer,
        Actor.SYSTEM: None,
    }


ILLEGAL = [
    (action, status)
    for action, transition in TRANSITIONS.items()
    for status in CaseStatus.values
    if status not in transition.sources
]


def test_every_status_is_reachable_and_every_action_has_someone_to_take_it():
    targets = {t.target for t in TRANSITIONS.values()}
    assert set(CaseStatus.values) - targets == {CaseStatus.DRAFT}
    assert all(t.actors for t in TRANSITIONS.values())


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_transition_is_refused_and_changes_nothing(officer, people, action, status):
    case = _at(make_case(officer, with_certificate=False), status)
    version = case.version
    events = AuditEvent.objects.count()
    actor = people[sorted(TRANSITIONS[action].actors)[0]]
    with pytest.raises(TransitionNotAllowed, match="is not allowed while the case is"):
        case_transition(case=case, action=action, actor=actor)
    case.refresh_from_db()
    assert (case.status, case.version) == (status, version)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_each_legal_transition_moves_the_case_and_is_audited(
    officer, people, action, django_capture_on_commit_callbacks
):
    transition = TRANSITIONS[action]
    source = sorted(transition.sources)[0]
    if action in APPROVING_ACTIONS:
        # An approval issues the permit in the same transaction, which needs a case screened under a rule set.
        load_rules()
        case = _at(screened_case(officer, django_capture_on_commit_callbacks), source)
    else:
        case = _at(make_case(officer, with_certificate=False), source)
    actor = people[sorted(transition.actors)[0]]
    if action in DECISION_ACTIONS:
        recommended_for(case, action, actor, people[Actor.REVIEWER])
    case = case_transition(case=case, action=action, actor=actor, message="why")
    assert case.status == transition.target
    event = AuditEvent.objects.filter(case=case, verb=f"case.{action}").get()
    assert event.actor == actor and event.before == {"status": source} and event.message == "why"
    assert event.after["status"] == transition.target


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_only_the_listed_actors_may_take_each_transition(org, officer, other_officer, people, action):
    transition = TRANSITIONS[action]
    source = sorted(transition.sources)[0]
    case = _at(make_case(officer, with_certificate=False), source)
    auditor = make_user(Role.AUDITOR)
    outsiders = [other_officer, auditor] + [people[kind] for kind in Actor if kind not in transition.actors]
    if Actor.REVIEWER in transition.actors:
        # A senior reviewer is a reviewer too.
        outsiders = [p for p in outsiders if p is not people[Actor.SENIOR_REVIEWER]]
    for outsider in outsiders:
        with pytest.raises(PermissionDenied):
            case_transition(case=case, action=action, actor=outsider)
    case.refresh_from_db()
    assert case.status == source and case.version == 1


def test_a_plain_reviewer_cannot_countersign(officer, reviewer):
    case = _at(make_case(officer, with_certificate=False), CaseStatus.AWAITING_COUNTERSIGNATURE)
    for action in ("countersign_approve", "countersign_refuse", "return_to_review"):
        with pytest.raises(PermissionDenied):
            case_transition(case=case, action=action, actor=reviewer)


def test_unknown_action_is_refused(officer):
    case = make_case(officer, with_certificate=False)
    with pytest.raises(TransitionNotAllowed, match="Unknown action"):
        case_transition(case=case, action="teleport", actor=officer)


def test_applicant_may_withdraw_until_a_decision_but_not_after(officer):
    for status in (CaseStatus.IN_REVIEW, CaseStatus.INFORMATION_REQUESTED, CaseStatus.AWAITING_COUNTERSIGNATURE):
        case = _at(make_case(officer, with_certificate=False), status)
        assert case_withdraw(case=case, actor=officer, reason="deal off").status == CaseStatus.WITHDRAWN
    for status in (CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.CLOSED):
        case = _at(make_case(officer, with_certificate=False), status)
        with pytest.raises(TransitionNotAllowed):
            case_withdraw(case=case, actor=officer)


def test_allowed_actions_for_an_actor(officer, reviewer, senior_reviewer):
    case = _at(make_case(officer, with_certificate=False), CaseStatus.AWAITING_COUNTERSIGNATURE)
    assert {t.action for t in allowed_actions(case, officer)} == {"withdraw"}
    assert {t.action for t in allowed_actions(case, reviewer)} == set()
    assert {t.action for t in allowed_actions(case, senior_reviewer)} == {
        "countersign_approve",
        "countersign_refuse",
        "return_to_review",
        "close",
    }


def test_submission_and_screening_still_work_through_the_table(officer, django_capture_on_commit_callbacks):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        case = case_submit(case=make_case(officer), actor=officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.SCREENED
    assert AuditEvent.objects.filter(case=case, verb="case.screen", actor=None).exists()


@pytest.mark.parametrize("action", DECISION_ACTIONS)
def test_a_decision_without_its_recommendation_is_refused_by_the_transition_itself(
    officer, people, action, django_capture_on_commit_callbacks
):
    """Four eyes hold below the review services too: taking a decision action straight through `case_transition`,
    with no recommendation (or with the author countersigning their own), is refused and changes nothing."""
    from permits.models import Permit

    load_rules()
    transition = TRANSITIONS[action]
    case = _at(screened_case(officer, django_capture_on_commit_callbacks), sorted(transition.sources)[0])
    actor = people[Actor.SENIOR_REVIEWER]
    attempts = [lambda: None]  # no recommendation at all
    if action.startswith("countersign") or action == "return_to_review":
        # The author's own recommendation waiting for a countersignature, and the author taking the step: the
        # database refuses a row saying they countersigned it, so this is the way around four eyes to close.
        attempts.append(lambda: recommended_for(case, "refer_for_countersignature", actor, None))
    for prepare in attempts:
        prepare()
        before = (case.status, case.version, AuditEvent.objects.count())
        with pytest.raises(PermissionDenied, match="through a recommendation"):
            case_transition(case=case, action=action, actor=actor)
        case.refresh_from_db()
        assert (case.status, case.version, AuditEvent.objects.count()) == before
        assert not Permit.objects.filter(case=case).exists()
