"""Working-day arithmetic: weekends, holidays, make-up working days and pauses. Pure functions, no database."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timelimits.workdays import add_working_days, due_date, is_working_day, working_days_between

# China's 2025 Spring Festival: 28 January to 4 February off; Sunday 26 January and Saturday 8 February worked.
SPRING_2025 = {date(2025, 1, 28) + timedelta(days=n) for n in range(8)}
MAKEUP_2025 = {date(2025, 1, 26), date(2025, 2, 8)}
CN = {"holidays": SPRING_2025 | {date(2025, 1, 1)}, "extra_working_days": MAKEUP_2025}


def test_a_plain_week():
    friday = date(2025, 3, 7)
    assert add_working_days(friday, 1) == date(2025, 3, 10)  # over the weekend to Monday
    assert add_working_days(friday, 5) == date(2025, 3, 14)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(date(2025, 3, 10), -1) == friday
    assert working_days_between(friday, date(2025, 3, 14)) == 5
    assert working_days_between(date(2025, 3, 14), friday) == -5
    assert working_days_between(date(2025, 3, 8), date(2025, 3, 9)) == 0  # a weekend


def test_holidays_are_skipped_and_make_up_weekend_days_count():
    assert not is_working_day(date(2025, 1, 29), **CN)
    assert is_working_day(date(2025, 1, 26), **CN)  # a Sunday, worked
    assert is_working_day(date(2025, 2, 8), **CN)  # a Saturday, worked
    # Friday 24 January: Sunday 26 and Monday 27 are the next two working days, then nothing until 5 February.
    assert add_working_days(date(2025, 1, 24), 1, **CN) == date(2025, 1, 26)
    assert add_working_days(date(2025, 1, 24), 2, **CN) == date(2025, 1, 27)
    assert add_working_days(date(2025, 1, 24), 3, **CN) == date(2025, 2, 5)
    assert add_working_days(date(2025, 2, 7), 1, **CN) == date(2025, 2, 8)
    # Six weekdays off, two weekend days worked: four working days fewer than the weekdays alone.
    assert working_days_between(date(2025, 1, 24), date(2025, 2, 10), **CN) == 7
    assert working_days_between(date(2025, 1, 24), date(2025, 2, 10)) == 11


def test_45_working_days_for_a_cn_single_licence_from_a_known_date():
    # Submitted Monday 6 January 2025: the Spring Festival takes six weekdays, the make-up days give two back.
    assert due_date(date(2025, 1, 6), 45, **CN) == date(2025, 3, 14)
    # The same limit on weekdays alone ends four working days earlier: nine weeks to the day.
    assert due_date(date(2025, 1, 6), 45) == date(2025, 3, 10)


def test_a_pause_stops_the_clock_and_its_working_days_move_the_due_date():
    start = date(2025, 3, 3)  # a Monday
    assert due_date(start, 10) == date(2025, 3, 17)
    # Asked on Wednesday 5 March, answered Tuesday 11 March: Thu, Fri, Mon, Tue are not counted.
    assert due_date(start, 10, pauses=[(date(2025, 3, 5), date(2025, 3, 11))]) == date(2025, 3, 21)
    # Still waiting: no due date yet.
    assert due_date(start, 10, pauses=[(date(2025, 3, 5), None)]) is None
    # A pause after the limit ran out does not move it.
    assert due_date(start, 10, pauses=[(date(2025, 3, 20), date(2025, 3, 25))]) == date(2025, 3, 17)


def test_a_pause_across_a_holiday_costs_only_its_working_days():
    # Asked Friday 24 January 2025, answered Friday 7 February: working days in the pause are 26, 27 January and
    # 5, 6, 7 February (the festival itself was never going to count).
    pause = (date(2025, 1, 24), date(2025, 2, 7))
    assert working_days_between(*pause, **CN) == 5
    without = due_date(date(2025, 1, 20), 20, **CN)
    with_pause = due_date(date(2025, 1, 20), 20, pauses=[pause], **CN)
    assert with_pause == add_working_days(without, 5, **CN)
    assert with_pause == date(2025, 2, 28)


def test_negative_limit_is_refused():
    with pytest.raises(ValueError):
        due_date(date(2025, 1, 1), -1)


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(start=days, n=st.integers(min_value=0, max_value=120))
def test_adding_then_counting_gives_n_back(start, n):
    end = add_working_days(start, n, **CN)
    assert working_days_between(start, end, **CN) == n
    assert due_date(start, n, **CN) == end


@given(start=days, n=st.integers(min_value=1, max_value=60), pause_at=st.integers(0, 59), length=st.integers(0, 30))
def test_a_pause_that_starts_before_the_due_date_adds_exactly_its_working_days(start, n, pause_at, length):
    pause_start = add_working_days(start, min(pause_at, n - 1), **CN)
    pause_end = pause_start + timedelta(days=length)
    paused = working_days_between(pause_start, pause_end, **CN)
    assert due_date(start, n, pauses=[(pause_start, pause_end)], **CN) == add_working_days(start, n + paused, **CN)
