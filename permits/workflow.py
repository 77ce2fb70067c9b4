"""The permit lifecycle: one table of allowed transitions, enforced in one place.

Every status change goes through `permit_transition`, which checks the table and who may act, writes with a
conditional UPDATE on (status, version) so that of two people acting at once exactly one wins, and records the
audit event with the reason.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from audit.services import audit_record

from .models import Permit
from .models import PermitStatus as S


class By(StrEnum):
    AUTHORITY = "authority"  # a reviewer of the licensing authority
    HOLDER = "holder"  # an officer of the organisation holding the permit
    SYSTEM = "system"  # a scheduled task or a shipment, never a person


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str
    by: By
    needs_reason: bool


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("suspend", frozenset({S.ISSUED}), S.SUSPENDED, gettext_lazy("Suspend"), By.AUTHORITY, True),
        # Reinstating puts the permit back in force: it is issued again, with its balance as it was.
        Transition("reinstate", frozenset({S.SUSPENDED}), S.ISSUED, gettext_lazy("Reinstate"), By.AUTHORITY, True),
        Transition("revoke", frozenset({S.ISSUED, S.SUSPENDED}), S.REVOKED, gettext_lazy("Revoke"), By.AUTHORITY, True),
        Transition(
            "surrender", frozenset({S.ISSUED, S.SUSPENDED}), S.SURRENDERED, gettext_lazy("Surrender"), By.HOLDER, False
        ),
        Transition("expire", frozenset({S.ISSUED, S.SUSPENDED}), S.EXPIRED, gettext_lazy("Expire"), By.SYSTEM, False),
        Transition("exhaust", frozenset({S.ISSUED}), S.EXHAUSTED, gettext_lazy("Mark exhausted"), By.SYSTEM, False),
        # Its own status rather than "surrendered": the holder did not give the permit up, a newer permit (an
        # amendment or extension) took its place, and the register and the audit trail should say so.
        Transition(
            "supersede", frozenset({S.ISSUED, S.SUSPENDED}), S.SUPERSEDED, gettext_lazy("Supersede"), By.SYSTEM, False
        ),
    ]
}


class TransitionNotAllowed(Exception):
    """The action is not allowed from the permit's current status."""


class PermitChanged(Exception):
    """Someone else changed the permit since it was read; nothing was written."""


def _may_act(transition: Transition, permit: Permit, actor: Any) -> bool:
    person = getattr(actor, "is_authenticated", False)
    if transition.by == By.SYSTEM:
        return actor is None
    if not person:
        return False
    if transition.by == By.AUTHORITY:
        return actor.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER)
    return actor.is_officer and actor.organisation_id == permit.organisation_id


def allowed_actions(permit: Permit, actor: Any) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if permit.status in t.sources and _may_act(t, permit, actor)]


@transaction.atomic
def permit_transition(*, permit: Permit, action: str, actor: Any, reason: str = "") -> Permit:
    """Move the permit along the table. `actor` is None for the system's own transitions."""
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise TransitionNotAllowed(f"Unknown action '{action}'.") from None
    if not _may_act(transition, permit, actor):
        who = {By.AUTHORITY: _("a reviewer"), By.HOLDER: _("the permit holder"), By.SYSTEM: _("the system")}[
            transition.by
        ]
        raise PermissionDenied(_("'%(action)s' is done by %(who)s only.") % {"action": transition.label, "who": who})
    if permit.status not in transition.sources:
        status = permit.get_status_display().lower()
        raise TransitionNotAllowed(
            _("'%(action)s' is not allowed while permit %(number)s is %(status)s.")
            % {"action": transition.label, "number": permit.number, "status": status}
        )
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError(
            {"reason": [_("Give a reason to %(action)s the permit.") % {"action": str(transition.label).lower()}]}
        )
    old_status = permit.status
    updated = Permit.objects.filter(pk=permit.pk, status=old_status, version=permit.version).update(
        status=transition.target, status_reason=reason, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise PermitChanged(
            _("Permit %(number)s was changed by someone else. Reload it and try again.") % {"number": permit.number}
        )
    permit.refresh_from_db()
    audit_record(
        actor=actor,
        verb=f"permit.{action}",
        target=permit,
        case=permit.case,
        organisation=permit.organisation,
        before={"status": old_status},
        after={"status": permit.status},
        message=reason,
    )
    return permit


@transaction.atomic
def permits_expire_due(*, today=None) -> list[str]:
    """Expire every permit whose validity has ended. Run daily; a permit another change got to first is left
    for the next run rather than failing the rest."""
    today = today or timezone.localdate()
    expired = []
    for permit in Permit.objects.filter(status__in=TRANSITIONS["expire"].sources, valid_to__lt=today):
        try:
            with transaction.atomic():
                permit_transition(
                    permit=permit, action="expire", actor=None, reason=f"Validity ended {permit.valid_to}."
                )
        except (PermitChanged, TransitionNotAllowed):
            continue
        expired.append(permit.number)
    return expired
