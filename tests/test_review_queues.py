"""Routing screened cases to queues, and claiming, releasing and reassigning them."""

import io
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus
from cases.workflow import CaseChanged, TransitionNotAllowed
from review.models import CaseAssignment, Queue, RoutingRule
from review.selectors import cases_held_by, queue_cases_for_user
from review.services import AlreadyClaimed, case_claim, case_reassign, case_release

from .factories import item_data, make_case, make_user

GALLIUM_TO_US = {
    "destination_country": "US",
    "items": [item_data(description="Gallium ingots", control_code="", elements=[{"element": "Ga", "form": "metal"}])],
}


@pytest.fixture
def published(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


def screened_case(officer, capture, **overrides) -> Case:
    with capture(execute=True):
        case = case_submit(case=make_case(officer, **overrides), actor=officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.SCREENED
    return case


@pytest.fixture
def screened(published, officer, django_capture_on_commit_callbacks):
    return lambda **overrides: screened_case(officer, django_capture_on_commit_callbacks, **overrides)


pytestmark = pytest.mark.django_db


def test_screening_routes_by_outcome_to_the_seeded_queues(screened):
    plain = screened()
    grave = screened(**GALLIUM_TO_US)
    assert plain.assignment.queue.slug == "general" and plain.assignment.outcome == "licence_required"
    assert grave.assignment.queue.slug == "senior" and grave.assignment.outcome == "presumption_of_denial"
    assert grave.assignment.rule.min_outcome == "case_by_case"
    routed = AuditEvent.objects.get(case=grave, verb="case.routed")
    assert routed.after["queue"] == "Senior review"


def test_rules_by_destination_and_licence_type_and_priority(screened):
    fr = Queue.objects.create(name="France desk", slug="fr")
    de = Queue.objects.create(name="Germany desk", slug="de")
    RoutingRule.objects.create(queue=fr, priority=5, destination_country="FR")
    RoutingRule.objects.create(queue=de, priority=50, destination_country="DE", licence_type="single")
    RoutingRule.objects.create(queue=fr, priority=60, destination_country="DE")  # shadowed by the one above
    RoutingRule.objects.create(queue=fr, priority=1, destination_country="DE", active=False)
    assert screened().assignment.queue == de
    assert screened(destination_country="FR").assignment.queue == fr
    assert screened(destination_country="IT").assignment.queue.slug == "general"


def test_max_outcome_bounds_a_rule(screened):
    low = Queue.objects.create(name="Routine", slug="routine")
    RoutingRule.objects.create(queue=low, priority=1, max_outcome="no_licence_required_report")
    assert screened().assignment.queue.slug == "general"


def test_claim_moves_to_review_and_shows_in_my_cases(screened, reviewer):
    case = screened()
    queue = case.assignment.queue
    assert list(queue_cases_for_user(user=reviewer, queue=queue, unclaimed_only=True)) == [case]
    case = case_claim(case=case, actor=reviewer)
    assert case.status == CaseStatus.IN_REVIEW
    assert CaseAssignment.objects.get(case=case).assigned_to == reviewer
    assert list(cases_held_by(user=reviewer)) == [case]
    assert list(queue_cases_for_user(user=reviewer, queue=queue, unclaimed_only=True)) == []
    assert AuditEvent.objects.get(case=case, verb="case.claim").actor == reviewer


def test_second_claim_is_refused_and_changes_nothing(screened, reviewer):
    case = screened()
    stale = Case.objects.get(pk=case.pk)
    case_claim(case=case, actor=reviewer)
    other = make_user(Role.REVIEWER)
    # Read before the first claim, the case still looks screened: the claim itself is what refuses.
    with pytest.raises(AlreadyClaimed):
        case_claim(case=stale, actor=other)
    with pytest.raises(TransitionNotAllowed):
        case_claim(case=Case.objects.get(pk=case.pk), actor=other)
    assert CaseAssignment.objects.get(case=case).assigned_to == reviewer
    assert AuditEvent.objects.filter(case=case, verb="case.claim").count() == 1


def test_senior_queue_is_for_senior_reviewers(screened, reviewer, senior_reviewer, officer, auditor):
    case = screened(**GALLIUM_TO_US)
    for person in (reviewer, officer, auditor):
        with pytest.raises(PermissionDenied):
            case_claim(case=case, actor=person)
    assert case_claim(case=case, actor=senior_reviewer).status == CaseStatus.IN_REVIEW


def test_release_puts_the_case_back(screened, reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    other = make_user(Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        case_release(case=case, actor=other)
    case = case_release(case=case, actor=reviewer, reason="on leave")
    assert case.status == CaseStatus.SCREENED
    assert CaseAssignment.objects.get(case=case).assigned_to is None
    assert case_claim(case=case, actor=other).status == CaseStatus.IN_REVIEW


def test_reassign_by_senior_only(screened, reviewer, senior_reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    colleague = make_user(Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        case_reassign(case=case, actor=reviewer, assignee=colleague)
    version = case.version
    case = case_reassign(case=case, actor=senior_reviewer, assignee=colleague, reason="workload")
    assert case.status == CaseStatus.IN_REVIEW and case.version == version + 1
    assert CaseAssignment.objects.get(case=case).assigned_to == colleague
    event = AuditEvent.objects.get(case=case, verb="case.reassigned")
    assert event.before == {"assigned_to": reviewer.username} and event.after == {"assigned_to": colleague.username}


def test_reassign_an_unclaimed_case_claims_it_for_the_assignee(screened, reviewer, senior_reviewer):
    case = case_reassign(case=screened(), actor=senior_reviewer, assignee=reviewer)
    assert case.status == CaseStatus.IN_REVIEW
    assert CaseAssignment.objects.get(case=case).assigned_to == reviewer


def test_reassign_to_a_non_senior_in_the_senior_queue_is_refused(screened, reviewer, senior_reviewer, officer):
    case = screened(**GALLIUM_TO_US)
    with pytest.raises(PermissionDenied):
        case_reassign(case=case, actor=senior_reviewer, assignee=reviewer)
    with pytest.raises(PermissionDenied):
        case_reassign(case=case, actor=senior_reviewer, assignee=officer)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SCREENED


def test_reassign_on_a_stale_read_is_refused(screened, reviewer, senior_reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    stale = Case.objects.get(pk=case.pk)
    case_reassign(case=case, actor=senior_reviewer, assignee=make_user(Role.REVIEWER))
    with pytest.raises(CaseChanged):
        case_reassign(case=stale, actor=senior_reviewer, assignee=make_user(Role.REVIEWER))


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_at_once_exactly_one_wins(published, officer, django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        pytest.skip("two connections claiming at once need PostgreSQL's row locks")
    case = screened_case(officer, django_capture_on_commit_callbacks)
    reviewers = [make_user(Role.REVIEWER), make_user(Role.REVIEWER)]
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def claim(user):
        try:
            mine = Case.objects.get(pk=case.pk)  # each thread reads the case on its own connection
            barrier.wait()
            case_claim(case=mine, actor=user)
            results[user.username] = "won"
        except (AlreadyClaimed, CaseChanged) as error:
            results[user.username] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ if r != "won" else "won" for r in results.values()) == ["AlreadyClaimed", "won"]
    winner = next(u for u in reviewers if results[u.username] == "won")
    assert CaseAssignment.objects.get(case=case).assigned_to == winner
    assert Case.objects.get(pk=case.pk).version == case.version + 1
    assert AuditEvent.objects.filter(case=case, verb="case.claim").count() == 1
