"""Routing writes the case's assignment with one INSERT … ON CONFLICT whose SQL is written once: the statement and
values the ORM's bulk_create(update_conflicts=True) sent, and a case routed again keeps whoever holds it."""

import pytest
from django.db import connection

from accounts.roles import Role
from review.models import CaseAssignment, Queue, RoutingRule
from review.services import _upsert_assignment

from .factories import make_case, make_user
from .statements import Sent

pytestmark = pytest.mark.django_db


def orm_upsert(assignment: CaseAssignment) -> None:
    CaseAssignment.objects.bulk_create(
        [assignment], update_conflicts=True, unique_fields=["case"], update_fields=["queue", "rule", "outcome"]
    )


def test_the_upsert_is_the_orms_statement_with_the_orms_values(officer):
    queue = Queue.objects.create(name="Desk", slug="desk")
    rule = RoutingRule.objects.create(queue=queue, priority=1)
    ours, theirs = make_case(officer), make_case(officer)
    sent = Sent()
    with connection.execute_wrapper(sent):
        mine = CaseAssignment(case=ours, queue=queue, rule=rule, outcome="licence_required")
        _upsert_assignment(mine)
        orm_upsert(CaseAssignment(case=theirs, queue=queue, rule=rule, outcome="licence_required"))
    (our_sql, our_params), (their_sql, their_params) = sent.statements
    assert our_sql == their_sql
    # The case differs, and the routing time each stamped.
    assert (our_params[0], their_params[0]) == (ours.pk, theirs.pk)
    assert our_params[1:-1] == their_params[1:-1]
    stored = CaseAssignment.objects.get(case=ours)
    assert (stored.pk, stored.routed_at, stored.queue, stored.rule, stored.outcome) == (
        mine.pk,
        mine.routed_at,
        queue,
        rule,
        "licence_required",
    )


def test_routing_again_moves_the_queue_and_keeps_the_holder(officer):
    reviewer = make_user(Role.REVIEWER, username="holder")
    first, second = Queue.objects.create(name="First", slug="first"), Queue.objects.create(name="Second", slug="second")
    case = make_case(officer)
    _upsert_assignment(CaseAssignment(case=case, queue=first, outcome="licence_required"))
    CaseAssignment.objects.filter(case=case).update(assigned_to=reviewer)
    routed = CaseAssignment.objects.get(case=case)
    again = CaseAssignment(case=case, queue=second, outcome="case_by_case")
    _upsert_assignment(again)
    stored = CaseAssignment.objects.get(case=case)
    assert again.pk == stored.pk == routed.pk
    assert (stored.queue, stored.outcome, stored.assigned_to, stored.routed_at) == (
        second,
        "case_by_case",
        reviewer,
        routed.routed_at,
    )
