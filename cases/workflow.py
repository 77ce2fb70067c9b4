"""The case lifecycle: one table of allowed transitions, enforced in one place.

Every status change goes through `case_transition`, which checks the table (who may take the action, and from
which statuses), writes with a conditional UPDATE on (status, version) so that of two people acting at once
exactly one wins, and records the audit event. Callers add their own rules (completeness, four eyes,
assignment) but cannot skip these.

    draft → submitted → screened → in_review ⇄ information_requested
                                   in_review → awaiting_countersignature → approved / refused (or back to review)
                                   in_review → approved / refused (when no countersignature is needed)
    withdrawn: by the applicant at any point before a decision; closed: by a senior reviewer or the system.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from audit.services import audit_record

from .models import Case
from .vocab import CaseStatus as S


class Actor(StrEnum):
    """Who may take a transition."""

    OFFICER = "officer"  # an officer of the case's own organisation
    REVIEWER = "reviewer"  # a reviewer or a senior reviewer
    SENIOR_REVIEWER = "senior_reviewer"
    SYSTEM = "system"  # no person: a task, called with actor=None


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str
    actors: frozenset[Actor]


# Before a decision: the statuses from which the applicant may still withdraw and an authority may close.
UNDECIDED = frozenset({S.SUBMITTED, S.SCREENED, S.IN_REVIEW, S.INFORMATION_REQUESTED, S.AWAITING_COUNTERSIGNATURE})
FINAL = frozenset({S.APPROVED, S.REFUSED, S.WITHDRAWN, S.CLOSED})

_OFFICER = frozenset({Actor.OFFICER})
_REVIEWER = frozenset({Actor.REVIEWER})
_SENIOR = frozenset({Actor.SENIOR_REVIEWER})
_SYSTEM = frozenset({Actor.SYSTEM})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, "Submit", _OFFICER),
        # Done by the system when the screening task has stored a determination.
        Transition("screen", frozenset({S.SUBMITTED}), S.SCREENED, "Record screening", _SYSTEM),
        Transition("claim", frozenset({S.SCREENED}), S.IN_REVIEW, "Claim for review", _REVIEWER),
        Transition("release", frozenset({S.IN_REVIEW}), S.SCREENED, "Release to the queue", _REVIEWER),
        Transition(
            "request_information", frozenset({S.IN_REVIEW}), S.INFORMATION_REQUESTED, "Request information", _REVIEWER
        ),
        Transition(
            "answer_information", frozenset({S.INFORMATION_REQUESTED}), S.IN_REVIEW, "Answer the request", _OFFICER
        ),
        Transition(
            "cancel_information_request",
            frozenset({S.INFORMATION_REQUESTED}),
            S.IN_REVIEW,
            "Cancel the request for information",
            _REVIEWER,
        ),
        Transition(
            "refer_for_countersignature",
            frozenset({S.IN_REVIEW}),
            S.AWAITING_COUNTERSIGNATURE,
            "Refer for countersignature",
            _REVIEWER,
        ),
        # A decision the reviewer may take alone; the review services decide when four eyes are needed instead.
        Transition("approve", frozenset({S.IN_REVIEW}), S.APPROVED, "Approve", _REVIEWER),
        Transition("refuse", frozenset({S.IN_REVIEW}), S.REFUSED, "Refuse", _REVIEWER),
        # The second pair of eyes: only a senior reviewer takes a referred case to a decision or back to review.
        Transition(
            "countersign_approve",
            frozenset({S.AWAITING_COUNTERSIGNATURE}),
            S.APPROVED,
            "Countersign the approval",
            _SENIOR,
        ),
        Transition(
            "countersign_refuse",
            frozenset({S.AWAITING_COUNTERSIGNATURE}),
            S.REFUSED,
            "Countersign the refusal",
            _SENIOR,
        ),
        Transition(
            "return_to_review",
            frozenset({S.AWAITING_COUNTERSIGNATURE}),
            S.IN_REVIEW,
            "Return to the reviewer",
            _SENIOR,
        ),
        Transition("withdraw", frozenset({S.DRAFT}) | UNDECIDED, S.WITHDRAWN, "Withdraw", _OFFICER),
        # E.g. an unanswered request for information: a senior reviewer, or the task that watches deadlines.
        Transition("close", UNDECIDED, S.CLOSED, "Close", _SENIOR | _SYSTEM),
    ]
}


class TransitionNotAllowed(Exception):
    """The action is not allowed from the case's current status."""


class CaseChanged(Exception):
    """Someone else changed the case since it was read; nothing was written."""


def actor_kinds(*, actor: Any, case: Case) -> frozenset[Actor]:
    """What `actor` counts as for this case's transitions."""
    if actor is None:
        return _SYSTEM
    kinds = set()
    if actor.is_officer and actor.organisation_id == case.organisation_id:
        kinds.add(Actor.OFFICER)
    if actor.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER):
        kinds.add(Actor.REVIEWER)
    if actor.has_role(Role.SENIOR_REVIEWER):
        kinds.add(Actor.SENIOR_REVIEWER)
    return frozenset(kinds)


def may_take(*, transition: Transition, actor: Any, case: Case) -> bool:
    return bool(transition.actors & actor_kinds(actor=actor, case=case))


def allowed_actions(case: Case, actor: Any = ...) -> list[Transition]:
    """The transitions open from the case's status; given an actor (None for the system), only those it may take."""
    open_now = [t for t in TRANSITIONS.values() if case.status in t.sources]
    if actor is ...:
        return open_now
    kinds = actor_kinds(actor=actor, case=case)
    return [t for t in open_now if t.actors & kinds]


# Called inside the transaction after every status change, with (case, transition, actor): other apps (review
# routing) react to a change without every caller having to remember them.
_listeners: list[Callable[[Case, Transition, Any], None]] = []


def on_transition(listener: Callable[[Case, Transition, Any], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def case_transition(
    *, case: Case, action: str, actor: Any, message: str = "", savepoint: bool = True, **changes: Any
) -> Case:
    """Take `action` on `case` for `actor`, writing the status with `changes` and the audit row, and tell the
    listeners. All of it or nothing: in a transaction of its own, or in a savepoint of the caller's.

    `savepoint=False` is for a caller whose own transaction holds the transition and who lets every failure out
    of it (so all it wrote rolls back anyway): the transition then costs no SAVEPOINT and RELEASE statements. A
    caller that catches a failure of the transition and goes on writing needs the savepoint."""
    with transaction.atomic(savepoint=savepoint):
        return _transition(case=case, action=action, actor=actor, message=message, changes=changes)


def _transition(*, case: Case, action: str, actor: Any, message: str, changes: dict[str, Any]) -> Case:
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise TransitionNotAllowed(f"Unknown action '{action}'.") from None
    if not may_take(transition=transition, actor=actor, case=case):
        who = ", ".join(sorted(a.value.replace("_", " ") for a in transition.actors))
        raise PermissionDenied(
            _("'%(action)s' may be taken only by: %(who)s.") % {"action": transition.label, "who": who}
        )
    if case.status not in transition.sources:
        raise TransitionNotAllowed(
            f"'{transition.label}' is not allowed while the case is {case.get_status_display().lower()}."
        )
    old_status = case.status
    now = timezone.now()
    updated = Case.objects.filter(pk=case.pk, status=old_status, version=case.version).update(
        status=transition.target, version=F("version") + 1, updated_at=now, **changes
    )
    if updated != 1:
        raise CaseChanged("The case was changed by someone else. Reload it and try again.")
    # The conditional UPDATE matched the (status, version) this object holds, so the row now holds exactly these
    # values: set them here rather than read the row back (and lose the cached organisation the audit row needs).
    case.status, case.version, case.updated_at = transition.target, case.version + 1, now
    for field, value in changes.items():
        setattr(case, field, value)
    audit_record(
        actor=actor,
        verb=f"case.{action}",
        target=case,
        case=case,
        organisation=case.organisation,
        before={"status": old_status},
        after={"status": case.status, **changes},
        message=message,
    )
    for listener in _listeners:
        listener(case, transition, actor)
    return case
