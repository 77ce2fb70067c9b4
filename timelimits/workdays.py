"""Working-day arithmetic for statutory time limits. Pure: dates in, dates out, no database.

A working day is a Monday to Friday that is not a public holiday, or a weekend day the calendar declares a
working day. China moves weekend days to working days around its long holidays (调休), so a calendar carries
both kinds of exception and neither alone is enough.

Counting convention, used throughout: the day an event happens does not count, the days after it do. A limit of
n working days from submission ends on the n-th working day after the submission date. A pause (start, end)
stops the clock on the working days after `start` up to and including `end`: the reviewer's day of asking
counts, the applicant's day of answering does not (the clock runs again from the next working day).
"""

from collections.abc import Collection, Iterable
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
_EMPTY: frozenset[date] = frozenset()


def is_working_day(
    day: date, *, holidays: Collection[date] = _EMPTY, extra_working_days: Collection[date] = _EMPTY
) -> bool:
    if day in extra_working_days:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start: date, n: int, *, holidays: Collection[date] = _EMPTY, extra_working_days: Collection[date] = _EMPTY
) -> date:
    """The n-th working day after `start` (n = 0 is `start` itself; negative n counts backwards)."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    day, left = start, abs(n)
    while left:
        day += step
        if is_working_day(day, holidays=holidays, extra_working_days=extra_working_days):
            left -= 1
    return day


def working_days_between(
    a: date, b: date, *, holidays: Collection[date] = _EMPTY, extra_working_days: Collection[date] = _EMPTY
) -> int:
    """Working days after `a` up to and including `b`; negative when `b` is before `a`.

    So `add_working_days(a, working_days_between(a, b))` is `b` whenever `b` is a working day."""
    if b < a:
        return -working_days_between(b, a, holidays=holidays, extra_working_days=extra_working_days)
    count, day = 0, a
    while day < b:
        day += ONE_DAY
        if is_working_day(day, holidays=holidays, extra_working_days=extra_working_days):
            count += 1
    return count


def _paused(day: date, pauses: Iterable[tuple[date, date | None]]) -> bool:
    return any(start < day and (end is None or day <= end) for start, end in pauses)


def due_date(
    submitted_on: date,
    limit_days: int,
    *,
    pauses: Iterable[tuple[date, date | None]] = (),
    holidays: Collection[date] = _EMPTY,
    extra_working_days: Collection[date] = _EMPTY,
) -> date | None:
    """The day the limit runs out: the `limit_days`-th working day after submission that falls in no pause.

    None while a pause is still open (end None) before the limit is reached: the date then depends on when the
    applicant answers. A pause that starts after the limit ran out does not move it."""
    pauses = list(pauses)
    if limit_days < 0:
        raise ValueError("A time limit cannot be negative.")
    day, left = submitted_on, limit_days
    while left:
        day += ONE_DAY
        if any(end is None and start < day for start, end in pauses):
            return None
        if _paused(day, pauses):
            continue
        if is_working_day(day, holidays=holidays, extra_working_days=extra_working_days):
            left -= 1
    return day
