"""The review clock: started on submission, paused while information is requested, moved by the paused
working days, stopped at a decision; the seeded Chinese calendar; what a queue reads."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_submit, case_withdraw
from cases.workflow import case_transition
from review.services import case_claim
from screening.models import LicenceType
from timelimits.models import CalendarDay, CaseClock, HolidayCalendar
from timelimits.selectors import clock_of, clocks_for
from timelimits.services import (
    calendar_dates,
    calendar_day_delete,
    calendar_day_save,
    clock_pause,
    clock_resume,
    clock_start,
    review_limit_for,
)
from timelimits.workdays import add_working_days, due_date, working_days_between

from .factories import make_case, recommended_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


@pytest.fixture
def submitted(published, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_submit(case=make_case(officer), actor=officer)
    case.refresh_from_db()
    return case


def cn():
    return HolidayCalendar.objects.get(code="CN")


def test_the_seeded_cn_calendar_has_holidays_and_make_up_days():
    dates = calendar_dates(cn())
    assert date(2025, 1, 29) in dates["holidays"] and date(2025, 1, 26) in dates["extra_working_days"]
    assert date(2026, 2, 16) in dates["holidays"] and date(2026, 2, 28) in dates["extra_working_days"]
    assert all(d.weekday() >= 5 for d in dates["extra_working_days"])
    assert not dates["holidays"] & dates["extra_working_days"]


def test_45_working_days_for_a_cn_single_from_a_known_date(published, officer):
    case = make_case(officer)
    assert review_limit_for(case, on=date(2025, 1, 6)) == 45
    clock = clock_start(case=case, on=date(2025, 1, 6))
    # Spring Festival 2025: six weekdays off, two weekend days worked.
    assert (clock.limit_working_days, clock.due_on) == (45, date(2025, 3, 14))
    assert clock.calendar.code == "CN"
    # Across the National Day week of 2025 (eight days off, two make-up days).
    assert add_working_days(date(2025, 9, 1), 45, **calendar_dates(cn())) == date(2025, 11, 7)


def test_the_limit_comes_from_the_licence_type_of_the_rule_set_in_force(published, officer):
    case = make_case(officer)
    LicenceType.objects.filter(code="single", jurisdiction="CN").update(review_working_days=30)
    assert review_limit_for(case, on=date(2025, 6, 2)) == 30
    assert review_limit_for(make_case(officer, licence_type="general"), on=date(2025, 6, 2)) == 45


def test_without_a_rule_set_the_default_limit_applies(officer, settings):
    settings.TIMELIMITS_DEFAULT_WORKING_DAYS = 20
    assert review_limit_for(make_case(officer), on=date(2025, 6, 2)) == 20


def test_the_clock_through_a_case_journey(submitted, officer, reviewer):
    today = timezone.localdate()
    clock = submitted.clock
    assert clock.started_on == today and clock.limit_working_days == 45 and clock.paused_since is None
    dates = calendar_dates(cn())
    assert clock.due_on == add_working_days(today, 45, **dates)
    case = case_claim(case=submitted, actor=reviewer)
    case = case_transition(case=case, action="request_information", actor=reviewer)
    clock.refresh_from_db()
    assert clock.paused_since == today and clock.is_paused and clock.urgency(today + timedelta(days=400)) == "ok"
    # The request went out a while ago: as if asked on a known Monday, with the clock started the Monday before.
    started, asked = date(2025, 3, 3), date(2025, 3, 10)
    CaseClock.objects.filter(pk=clock.pk).update(started_on=started, paused_since=asked)
    case = case_transition(case=case, action="answer_information", actor=officer)
    clock.refresh_from_db()
    paused = working_days_between(asked, today, **dates)
    assert clock.paused_since is None and clock.paused_working_days == paused > 0
    assert clock.due_on == add_working_days(started, 45 + paused, **dates)
    assert clock.due_on == due_date(started, 45, pauses=[(asked, today)], **dates)
    case_withdraw(case=case, actor=officer)
    clock.refresh_from_db()
    assert clock.stopped_on == today and clock.urgency(today) == "stopped"


def test_resume_moves_the_due_date_by_the_paused_working_days_only(submitted):
    dates = calendar_dates(cn())
    CaseClock.objects.filter(case=submitted).update(started_on=date(2025, 9, 15))
    clock_pause(case=submitted, on=date(2025, 9, 26))  # a Friday
    clock = clock_resume(case=submitted, on=date(2025, 10, 13))  # a Monday, after the National Day week
    # Paused: Sunday 28 September (worked), 29, 30 September, 9, 10 October, Saturday 11 October (worked) and
    # Monday 13 October; the eight days of the holiday itself were never going to count.
    assert clock.paused_working_days == 7
    assert clock.due_on == add_working_days(date(2025, 9, 15), 52, **dates)
    assert clock.due_on == due_date(date(2025, 9, 15), 45, pauses=[(date(2025, 9, 26), date(2025, 10, 13))], **dates)
    # A second answer (no pause open) changes nothing.
    assert clock_resume(case=submitted, on=date(2025, 10, 20)).paused_working_days == 7


@pytest.mark.parametrize("action", ["approve", "refuse", "close"])
def test_a_decision_or_closure_stops_the_clock(submitted, reviewer, senior_reviewer, action):
    case = case_claim(case=submitted, actor=reviewer)
    actor = senior_reviewer if action == "close" else reviewer
    if action != "close":
        recommended_for(case, action, actor, None)
    case_transition(case=case, action=action, actor=actor)
    clock = CaseClock.objects.get(case=submitted)
    assert clock.stopped_on == timezone.localdate()


def test_urgency():
    clock = CaseClock(
        started_on=date(2025, 3, 3),
        limit_working_days=45,
        due_on=date(2025, 5, 9),
        due_soon_on=date(2025, 5, 2),
    )
    assert clock.urgency(date(2025, 4, 30)) == "ok"
    assert clock.urgency(date(2025, 5, 2)) == "due_soon"
    assert clock.urgency(date(2025, 5, 9)) == "due_soon"
    assert clock.urgency(date(2025, 5, 10)) == "overdue"
    clock.paused_since = date(2025, 5, 1)
    assert clock.urgency(date(2025, 6, 1)) == "ok"
    clock.stopped_on = date(2025, 5, 3)
    assert clock.urgency(date(2025, 6, 1)) == "stopped"


def test_due_soon_counts_working_days_before_the_due_date(published, officer, settings):
    settings.TIMELIMITS_DUE_SOON_WORKING_DAYS = 3
    clock = clock_start(case=make_case(officer), on=date(2025, 9, 1))
    # Due Friday 7 November 2025: three working days before is Tuesday 4 November.
    assert clock.due_on == date(2025, 11, 7) and clock.due_soon_on == date(2025, 11, 4)
    assert clock.urgency(date(2025, 11, 3)) == "ok" and clock.urgency(date(2025, 11, 4)) == "due_soon"


def test_a_calendar_change_is_audited_and_moves_running_clocks(submitted, django_user_model):
    admin = django_user_model.objects.create_superuser("calendar.admin", "a@example.com", "pw-xxxxxxxxxx")
    CaseClock.objects.filter(case=submitted).update(started_on=date(2026, 11, 2))
    clock = CaseClock.objects.get(case=submitted)
    before = add_working_days(date(2026, 11, 2), 45, **calendar_dates(cn()))
    day = calendar_day_save(
        day=CalendarDay(calendar=cn(), date=date(2026, 11, 11), kind="holiday", name="Test holiday"), actor=admin
    )
    clock.refresh_from_db()
    assert clock.due_on == add_working_days(before, 1, **calendar_dates(cn()))
    calendar_day_delete(day=day, actor=admin)
    clock.refresh_from_db()
    assert clock.due_on == before
    verbs = list(AuditEvent.objects.filter(verb__startswith="calendar.").values_list("verb", flat=True))
    assert verbs == ["calendar.day_added", "calendar.day_removed"]


def test_a_queue_reads_due_dates_and_urgency_without_a_query_per_case(
    published, officer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            case_submit(case=make_case(officer), actor=officer)
    today = timezone.localdate()
    with django_assert_max_num_queries(1):
        rows = [(c.clock.due_on, c.clock.urgency(today)) for c in Case.objects.select_related("clock")]
    assert len(rows) == 4 and all(u == "ok" for _d, u in rows)
    assert set(clocks_for(Case.objects.values_list("pk", flat=True))) == set(Case.objects.values_list("pk", flat=True))
    assert clock_of(make_case(officer)) is None


def test_starting_the_clock_costs_a_submission_four_statements(published, officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = make_case(officer)
    with CaptureQueriesContext(connection) as queries:
        case_submit(case=case, actor=officer)
    clock_sql = [
        q["sql"]
        for q in queries.captured_queries
        if any(t in q["sql"] for t in ("timelimits_", "screening_rulesetversion", "screening_licencetype"))
    ]
    # The calendar with its days, the rule set in force, its licence type, the insert.
    assert len(clock_sql) == 4, clock_sql
    assert CaseClock.objects.get(case=case).limit_working_days == 45


def test_a_published_versions_limits_are_read_once(published, officer, django_assert_num_queries):
    case = make_case(officer)
    assert review_limit_for(case, on=date(2025, 6, 2)) == 45
    # A published version never changes: the next submission reads only which version is in force.
    with django_assert_num_queries(1):
        assert review_limit_for(case, on=date(2025, 6, 2)) == 45


def test_the_2026_calendar_is_the_state_councils_notice():
    # 国务院办公厅关于2026年部分节假日安排的通知, 4 November 2025: every day off and every make-up working day.
    def days(first, last):
        return {first + timedelta(n) for n in range((last - first).days + 1)}

    off = (
        days(date(2026, 1, 1), date(2026, 1, 3))
        | days(date(2026, 2, 15), date(2026, 2, 23))
        | days(date(2026, 4, 4), date(2026, 4, 6))
        | days(date(2026, 5, 1), date(2026, 5, 5))
        | days(date(2026, 6, 19), date(2026, 6, 21))
        | days(date(2026, 9, 25), date(2026, 9, 27))
        | days(date(2026, 10, 1), date(2026, 10, 7))
    )
    worked = {date(2026, m, d) for m, d in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]}
    dates = calendar_dates(cn())
    assert {d for d in dates["holidays"] if d.year == 2026} == off
    assert {d for d in dates["extra_working_days"] if d.year == 2026} == worked
