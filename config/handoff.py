"""A value offered to the later steps of one piece of work, for the length of a `with` block.

A submission has just loaded the case's facts and read the rule set in force; the screening it starts in-process
needs the same, and the routing after the screening needs the screening just stored. Passing them down as
arguments would thread them through the task, the service and the selectors that a worker also runs, where they
are not there to pass. A `Handoff` offers the value in a context variable instead (threads and tasks do not see
each other's offers), and the step that would read it asks for it first. Each such user states what makes an offer
valid for it (the case's id and version, the day): an offer saves a read, it is never a second source of truth.
The audit trail uses one the other way round: the events recorded inside `audit_in_one_insert` are collected in
the list it offers, and written together when the block ends.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    def __init__(self, name: str) -> None:
        self._offered: ContextVar[T | None] = ContextVar(name, default=None)

    @contextmanager
    def offering(self, value: T) -> Iterator[T]:
        """`value` is offered inside the block; an offer made outside it is offered again when the block ends."""
        token = self._offered.set(value)
        try:
            yield value
        finally:
            self._offered.reset(token)

    def offered(self) -> T | None:
        return self._offered.get()
