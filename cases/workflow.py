"""The case lifecycle: one table of allowed transitions, enforced in one place.

Every status change goes through `case_transition`, which checks the table, writes with a conditional UPDATE
on (status, version) so that of two people acting at once exactly one wins, and records the audit event.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record

from .models import Case
from .vocab import CaseStatus as S


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, "Submit"),
        # Done by the system when the screening task has stored a determination.
        Transition("screen", frozenset({S.SUBMITTED}), S.SCREENED, "Record screening"),
        Transition("withdraw", frozenset({S.DRAFT, S.SUBMITTED, S.SCREENED}), S.WITHDRAWN, "Withdraw"),
    ]
}


class TransitionNotAllowed(Exception):
    """The action is not allowed from the case's current status."""


class CaseChanged(Exception):
    """Someone else changed the case since it was read; nothing was written."""


def allowed_actions(case: Case) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if case.status in t.sources]


@transaction.atomic
def case_transition(*, case: Case, action: str, actor: Any, message: str = "", **changes: Any) -> Case:
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise TransitionNotAllowed(f"Unknown action '{action}'.") from None
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
    case.refresh_from_db()
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
    return case
