"""Writes of the review: routing screened cases to queues, and claiming, releasing and reassigning them.

Status changes go through cases.workflow.case_transition, which checks who may take them; the checks here are
the ones the table cannot know: which queue a reviewer may claim from and who holds a case."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_record
from cases.models import Case
from cases.vocab import CaseStatus
from cases.workflow import CaseChanged, Transition, TransitionNotAllowed, case_transition
from screening.engine.ladder import RANK
from screening.selectors import latest_screening

from .models import CaseAssignment, Queue, RoutingRule


class AlreadyClaimed(Exception):
    """Another reviewer holds the case; nothing was written."""


def _is_reviewer(user: Any) -> bool:
    return user is not None and user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER)


def _is_senior(user: Any) -> bool:
    return user is not None and user.has_role(Role.SENIOR_REVIEWER)


def rule_matches(rule: RoutingRule, *, case: Case, outcome: str) -> bool:
    rank = RANK.get(outcome)
    if rule.min_outcome and (rank is None or rank < RANK[rule.min_outcome]):
        return False
    if rule.max_outcome and (rank is None or rank > RANK[rule.max_outcome]):
        return False
    if rule.destination_country and rule.destination_country != case.destination_country:
        return False
    return not (rule.licence_type and rule.licence_type != case.licence_type)


def route_queue(*, case: Case, outcome: str) -> tuple[Queue | None, RoutingRule | None]:
    """The queue the routing rules send a case with this outcome to, and the rule that sent it."""
    for rule in RoutingRule.objects.filter(active=True).select_related("queue"):
        if rule_matches(rule, case=case, outcome=outcome):
            return rule.queue, rule
    return Queue.objects.filter(is_default=True).first(), None


def case_route(*, case: Case) -> CaseAssignment:
    """Put a screened case in the queue its latest screening outcome and facts route it to. A case routed before
    keeps its row: the queue follows the latest outcome, and whoever holds the case keeps it."""
    screening = latest_screening(case=case)
    outcome = screening.outcome if screening else ""
    queue, rule = route_queue(case=case, outcome=outcome)
    assignment, created = CaseAssignment.objects.get_or_create(
        case=case, defaults={"queue": queue, "rule": rule, "outcome": outcome}
    )
    if not created and (assignment.queue_id, assignment.outcome) != (getattr(queue, "pk", None), outcome):
        assignment.queue, assignment.rule, assignment.outcome = queue, rule, outcome
        assignment.save(update_fields=["queue", "rule", "outcome"])
    audit_record(
        actor=None,
        verb="case.routed",
        target=case,
        case=case,
        organisation=case.organisation,
        after={"queue": str(queue) if queue else None, "outcome": outcome, "rule": rule.pk if rule else None},
    )
    return assignment


def route_after_screening(case: Case, transition: Transition, actor: Any) -> None:
    if transition.action == "screen":
        case_route(case=case)


def _assignment_for(case: Case) -> CaseAssignment:
    try:
        return CaseAssignment.objects.select_related("queue").get(case=case)
    except CaseAssignment.DoesNotExist:
        pass
    # Screened before routing existed, or routed concurrently: route now, and take the row whoever wrote it.
    try:
        with transaction.atomic():
            case_route(case=case)
    except IntegrityError:
        pass
    return CaseAssignment.objects.select_related("queue").get(case=case)


def _check_may_hold(*, user: Any, assignment: CaseAssignment) -> None:
    if not _is_reviewer(user):
        raise PermissionDenied("Only reviewers may work on cases.")
    if assignment.queue and assignment.queue.senior_only and not _is_senior(user):
        raise PermissionDenied(f"Cases in the {assignment.queue} queue are for senior reviewers.")


@transaction.atomic
def case_claim(*, case: Case, actor: User) -> Case:
    """Take a screened case from its queue: it moves to in_review, held by `actor`. Of two reviewers claiming the
    same case at once exactly one wins; the other gets AlreadyClaimed and nothing changes."""
    if case.status != CaseStatus.SCREENED:
        raise TransitionNotAllowed(
            f"{case.reference} is {case.get_status_display().lower()}: only a screened case can be claimed."
        )
    assignment = _assignment_for(case)
    _check_may_hold(user=actor, assignment=assignment)
    # The conditional UPDATE is the claim: on PostgreSQL the second claimant waits on the row lock, then finds
    # the row taken and updates nothing.
    won = CaseAssignment.objects.filter(pk=assignment.pk, assigned_to__isnull=True).update(
        assigned_to=actor, assigned_at=timezone.now()
    )
    if won != 1:
        raise AlreadyClaimed(f"{case.reference} has already been claimed by another reviewer.")
    return case_transition(
        case=case, action="claim", actor=actor, message=f"Claimed from {assignment.queue or 'no queue'}."
    )


@transaction.atomic
def case_release(*, case: Case, actor: User, reason: str = "") -> Case:
    """Put a case back in its queue. The reviewer holding it may, and so may a senior reviewer."""
    assignment = _assignment_for(case)
    if assignment.assigned_to_id != actor.pk and not _is_senior(actor):
        raise PermissionDenied("Only the reviewer holding the case, or a senior reviewer, may release it.")
    released = CaseAssignment.objects.filter(pk=assignment.pk, assigned_to_id=assignment.assigned_to_id).update(
        assigned_to=None, assigned_at=None
    )
    if released != 1:
        raise CaseChanged("The case was changed by someone else. Reload it and try again.")
    return case_transition(case=case, action="release", actor=actor, message=reason)


REASSIGNABLE = frozenset(
    {CaseStatus.SCREENED, CaseStatus.IN_REVIEW, CaseStatus.INFORMATION_REQUESTED, CaseStatus.AWAITING_COUNTERSIGNATURE}
)


@transaction.atomic
def case_reassign(*, case: Case, actor: User, assignee: User, reason: str = "") -> Case:
    """A senior reviewer gives a case to another reviewer. A screened case is claimed for the assignee."""
    if not _is_senior(actor):
        raise PermissionDenied("Only senior reviewers may reassign cases.")
    if case.status not in REASSIGNABLE:
        raise TransitionNotAllowed(
            f"{case.reference} is {case.get_status_display().lower()}: there is no review to reassign."
        )
    assignment = _assignment_for(case)
    _check_may_hold(user=assignee, assignment=assignment)
    previous = assignment.assigned_to
    if previous is not None and previous.pk == assignee.pk:
        raise TransitionNotAllowed(f"{case.reference} is already with {assignee}.")
    moved = CaseAssignment.objects.filter(pk=assignment.pk, assigned_to=previous).update(
        assigned_to=assignee, assigned_at=timezone.now()
    )
    if moved != 1:
        raise CaseChanged("The case was changed by someone else. Reload it and try again.")
    if case.status == CaseStatus.SCREENED:
        case = case_transition(case=case, action="claim", actor=actor, message=f"Assigned to {assignee}.")
    else:
        # No status change, but the case has changed hands: whoever acts on the version read before loses.
        if Case.objects.filter(pk=case.pk, version=case.version).update(version=F("version") + 1) != 1:
            raise CaseChanged("The case was changed by someone else. Reload it and try again.")
        case.refresh_from_db()
    audit_record(
        actor=actor,
        verb="case.reassigned",
        target=case,
        case=case,
        organisation=case.organisation,
        before={"assigned_to": previous.username if previous else None},
        after={"assigned_to": assignee.username},
        message=reason,
    )
    return case
