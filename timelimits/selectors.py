"""Reads of case clocks.

A page listing cases reads each case's clock with `select_related("clock")` (one join, no query per row) and
then `case.clock.due_on` and `case.clock.urgency(today)`; neither reads a calendar. A case never submitted has
no clock: guard with `getattr(case, "clock", None)` or `clock_of(case)`."""

from collections.abc import Iterable

from cases.models import Case

from .models import CaseClock


def clocks_for(case_ids: Iterable[int]) -> dict[int, CaseClock]:
    """The clocks of these cases by case id, in one query (cases without a clock are missing)."""
    return {clock.case_id: clock for clock in CaseClock.objects.filter(case_id__in=list(case_ids))}


def clock_of(case: Case) -> CaseClock | None:
    try:
        return case.clock
    except CaseClock.DoesNotExist:
        return None
