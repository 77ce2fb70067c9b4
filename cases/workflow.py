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
from django.db import connection, transaction
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


# Asked before an action is taken, with (case, actor): the reason it may not be taken, or None. Other apps hold
# conditions the table cannot (review: a decision rests on the recommendation, and four eyes on a countersignature
# by someone else), so a caller that reaches the transition without going through their service is refused too.
_guards: dict[str, list[Callable[[Case, Any], str | None]]] = {}


def guard_transition(action: str, guard: Callable[[Case, Any], str | None]) -> None:
    if action not in TRANSITIONS:
        raise KeyError(f"Unknown action '{action}'.")
    guards = _guards.setdefault(action, [])
    if guard not in guards:
        guards.append(guard)


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


# The UPDATE of every transition, by the fields it sets besides status, version and updated_at: its SQL written
# once per set of fields instead of built by the ORM on every transition (two on every submission). None when
# one of those fields needs the ORM (a relation, or a value that is an expression).
_UPDATES: dict[tuple[str, ...], str | None] = {}


def _update_sql(names: tuple[str, ...]) -> str | None:
    if names in _UPDATES:
        return _UPDATES[names]
    fields = [Case._meta.get_field(name) for name in names]
    sql = None
    if all(f.concrete and not f.is_relation and not f.primary_key for f in fields):
        qn = connection.ops.quote_name
        table = qn(Case._meta.db_table)
        version = f"{table}.{qn('version')}"
        sets = ", ".join(
            [f"{qn('status')} = %s", f"{qn('version')} = ({version} + %s)", f"{qn('updated_at')} = %s"]
            + [f"{qn(f.column)} = %s" for f in fields]
        )
        where = f"({table}.{qn('id')} = %s AND {table}.{qn('status')} = %s AND {version} = %s)"
        sql = f"UPDATE {table} SET {sets} WHERE {where}"
    _UPDATES[names] = sql
    return sql


def _update_if_unchanged(case: Case, *, status: str, updated_at: Any, changes: dict[str, Any]) -> int:
    """Set the status, the next version, `updated_at` and `changes` on the row if it still holds the status and
    version `case` holds; the number of rows updated (0 or 1). The same statement and values as the ORM's
    `filter(pk=, status=, version=).update(status=, version=F("version") + 1, updated_at=, **changes)`."""
    names = tuple(changes)
    sql = None if any(hasattr(v, "resolve_expression") for v in changes.values()) else _update_sql(names)
    if sql is None:
        return Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(
            status=status, version=F("version") + 1, updated_at=updated_at, **changes
        )
    prep = [Case._meta.get_field(name).get_db_prep_save(changes[name], connection) for name in names]
    stamp = Case._meta.get_field("updated_at").get_db_prep_save(updated_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [status, 1, stamp, *prep, case.pk, case.status, case.version])
        return cursor.rowcount


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
            _("'%(label)s' is not allowed while the case is %(status)s.")
            % {"label": transition.label, "status": case.get_status_display().lower()}
        )
    for guard in _guards.get(action, ()):
        refusal = guard(case, actor)
        if refusal:
            raise PermissionDenied(refusal)
    old_status = case.status
    now = timezone.now()
    updated = _update_if_unchanged(case, status=transition.target, updated_at=now, changes=changes)
    if updated != 1:
        raise CaseChanged(_("The case was changed by someone else. Reload it and try again."))
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
