from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

from config.compiled_writes import insert_rows
from config.handoff import Handoff

from .models import AuditEvent

# The events recorded inside `audit_in_one_insert`, waiting for the block to end.
_held: Handoff[list[AuditEvent]] = Handoff("audit_events_held")


def audit_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model,
    case: Any = None,
    organisation: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
) -> AuditEvent:
    """Append one event to the audit trail. Call it inside the transaction that makes the change."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        actor=actor,
        actor_name=(actor.get_full_name() or actor.username) if actor else "system",
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        case=case,
        organisation=organisation,
        before=before,
        after=after,
        message=message,
    )
    held = _held.offered()
    if held is None:
        insert_rows([event])
    else:
        held.append(event)
    return event


@contextmanager
def audit_in_one_insert() -> Iterator[None]:
    """The events recorded inside the block are written when it ends without an error, in the order recorded,
    as one INSERT (one statement instead of one per event; ids and times ascend in that order). Only for a block
    inside the transaction of the change it audits that does not read its own events back: until the block
    ends they are not in the database and have no id. An inner block is part of the outer one."""
    if _held.offered() is not None:
        yield
        return
    events: list[AuditEvent] = []
    with _held.offering(events):
        yield
    if events:
        insert_rows(events)
