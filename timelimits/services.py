"""Writes of the case clock. Each follows a case transition (see `clock_follow_transition`), so the clock cannot
drift from the status: it starts on submission, pauses while the applicant is asked for information, resumes
when the request is answered or cancelled, and stops at a decision, a withdrawal or a closure.

The clock is state derived from transitions that are audited already; it writes no audit events of its own
(the trail says when the case was submitted, asked, answered and decided, which is all the clock is made of).
Changes people make to calendars are audited."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases.models import Case
from cases.vocab import CaseStatus
from config.compiled_reads import CompiledRead
from config.compiled_writes import insert_rows

from .models import CalendarDay, CaseClock, HolidayCalendar, due_soon_working_days
from .workdays import add_working_days, working_days_between

# What each transition does to the clock. Transitions missing here (claim, release, screen, referral for
# countersignature, return to review) leave it running.
PAUSE = frozenset({"request_information"})
RESUME = frozenset({"answer_information", "cancel_information_request"})
STOP_AT = frozenset({CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED})


def default_calendar_code() -> str:
    return getattr(settings, "TIMELIMITS_CALENDAR", "CN")


def default_limit() -> int:
    return getattr(settings, "TIMELIMITS_DEFAULT_WORKING_DAYS", 45)


def calendar_dates(calendar: HolidayCalendar | None) -> dict[str, frozenset[date]]:
    """The calendar's exceptions as `workdays` takes them: {"holidays": …, "extra_working_days": …}."""
    holidays: set[date] = set()
    extra: set[date] = set()
    if calendar is not None:
        for day, kind in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"):
            (holidays if kind == CalendarDay.Kind.HOLIDAY else extra).add(day)
    return {"holidays": frozenset(holidays), "extra_working_days": frozenset(extra)}


def review_limit_for(case: Case, *, on: date) -> int:
    """The licence type's review limit in the rule set in force on `on`, preferring the type of the applicant's
    jurisdiction (as permits do); TIMELIMITS_DEFAULT_WORKING_DAYS when no rule set or type names one."""
    from screening.selectors import NoRuleSet, rule_set_in_force

    try:
        version = rule_set_in_force(today=on)
    except NoRuleSet:
        return default_limit()
    days = _review_limits(version).get(case.licence_type, ())
    country = case.organisation.country if case.organisation_id else ""
    chosen = next((d for j, d in days if j == str(country)), None) or next((d for _j, d in days), None)
    return chosen or default_limit()


_LIMITS: dict[tuple, dict[str, tuple[tuple[str, int], ...]]] = {}


def _review_limits(version) -> dict[str, tuple[tuple[str, int], ...]]:
    """Licence type code → (jurisdiction, review working days) of a rule-set version, read once per process for a
    published version: it never changes after publication (a draft is read every time). Every submission starts
    a clock, so this takes a query out of each."""
    from screening.models import LicenceType, RuleSetVersion

    # created_at as well as the id: a test database that rolls back can hand a freed id to another version.
    key = (version.pk, version.created_at)
    published = version.status == RuleSetVersion.Status.PUBLISHED
    if published and key in _LIMITS:
        return _LIMITS[key]
    limits: dict[str, list[tuple[str, int]]] = {}
    for code, jurisdiction, days in (
        LicenceType.objects.filter(version=version, review_working_days__isnull=False)
        .order_by("id")
        .values_list("code", "jurisdiction", "review_working_days")
    ):
        limits.setdefault(code, []).append((jurisdiction, days))
    frozen = {code: tuple(rows) for code, rows in limits.items()}
    if published:
        if len(_LIMITS) > 32:
            _LIMITS.clear()
        _LIMITS[key] = frozen
    return frozen


def _set_due(clock: CaseClock, dates: dict[str, frozenset[date]]) -> None:
    clock.due_on = add_working_days(clock.started_on, clock.limit_working_days + clock.paused_working_days, **dates)
    clock.due_soon_on = add_working_days(clock.due_on, -due_soon_working_days(), **dates)


# Read by every submission: compiled once (config/compiled_reads.py) rather than built by the ORM each time.
# Only the SQL is kept, so a day added a moment ago is read like any other.
_CALENDAR_DAYS_READ = CompiledRead(
    lambda code: CalendarDay.objects.filter(calendar__code=code).values_list("calendar_id", "date", "kind"),
    code="\x00placeholder-calendar-code",
)


def _calendar_for_start() -> tuple[HolidayCalendar | None, dict[str, frozenset[date]]]:
    """The configured calendar's id and exceptions in one query (a second only for a calendar with no days)."""
    code = default_calendar_code()
    rows = _CALENDAR_DAYS_READ.rows(code=code)
    # A calendar with days is known by the days' key; only one without any is read on its own.
    calendar = HolidayCalendar(pk=rows[0][0], code=code) if rows else HolidayCalendar.objects.filter(code=code).first()
    holidays = frozenset(d for _c, d, kind in rows if kind == CalendarDay.Kind.HOLIDAY)
    extra = frozenset(d for _c, d, kind in rows if kind != CalendarDay.Kind.HOLIDAY)
    return calendar, {"holidays": holidays, "extra_working_days": extra}


# Called from the submission's own transaction (see clock_follow_transition): savepoint=False, so starting the
# clock costs no SAVEPOINT round trips on every submission.
@transaction.atomic(savepoint=False)
def clock_start(*, case: Case, on: date) -> CaseClock:
    """Start the clock of a case being submitted. A case is submitted once (the transition from draft wins once),
    and the one-to-one key refuses a second clock, so this only inserts."""
    calendar, dates = _calendar_for_start()
    clock = CaseClock(case=case, calendar=calendar, started_on=on, limit_working_days=review_limit_for(case, on=on))
    _set_due(clock, dates)
    # Nothing listens for a clock's save: the insert with its SQL built once (config/compiled_writes.py).
    insert_rows([clock])
    return clock


def _clock_for_update(case: Case) -> CaseClock | None:
    return CaseClock.objects.select_for_update().filter(case=case).first()


@transaction.atomic(savepoint=False)
def clock_pause(*, case: Case, on: date) -> CaseClock | None:
    clock = _clock_for_update(case)
    if clock is None or clock.stopped_on is not None or clock.paused_since is not None:
        return clock
    clock.paused_since = on
    clock.save(update_fields=["paused_since", "updated_at"])
    return clock


@transaction.atomic(savepoint=False)
def clock_resume(*, case: Case, on: date) -> CaseClock | None:
    """End the pause: its working days (after the day asked, up to and including `on`) move the due date."""
    clock = _clock_for_update(case)
    if clock is None or clock.stopped_on is not None or clock.paused_since is None:
        return clock
    dates = calendar_dates(clock.calendar)
    clock.paused_working_days += max(0, working_days_between(clock.paused_since, on, **dates))
    clock.paused_since = None
    _set_due(clock, dates)
    clock.save(update_fields=["paused_since", "paused_working_days", "due_on", "due_soon_on", "updated_at"])
    return clock


@transaction.atomic(savepoint=False)
def clock_stop(*, case: Case, on: date) -> CaseClock | None:
    """Stop for good. An open pause ends too, uncounted: the case is decided, nothing is due any more."""
    clock = _clock_for_update(case)
    if clock is None or clock.stopped_on is not None:
        return clock
    clock.stopped_on = on
    clock.save(update_fields=["stopped_on", "updated_at"])
    return clock


@transaction.atomic
def clocks_recompute(*, calendar: HolidayCalendar) -> int:
    """Recompute the due dates of running clocks on `calendar` after its days changed. Returns how many moved."""
    dates = calendar_dates(calendar)
    moved = 0
    for clock in CaseClock.objects.select_for_update().filter(calendar=calendar, stopped_on__isnull=True):
        before = (clock.due_on, clock.due_soon_on)
        _set_due(clock, dates)
        if (clock.due_on, clock.due_soon_on) != before:
            clock.save(update_fields=["due_on", "due_soon_on", "updated_at"])
            moved += 1
    return moved


def clock_follow_transition(case: Case, transition: Any, actor: Any) -> None:
    """The `cases.workflow.on_transition` listener. The date of each step is the date the transition was
    written (the case's `updated_at`; for a submission, `submitted_at`), in the project's time zone."""
    action = transition.action
    when = case.updated_at or timezone.now()
    if action == "submit":
        clock_start(case=case, on=timezone.localdate(case.submitted_at or when))
    elif action in PAUSE:
        clock_pause(case=case, on=timezone.localdate(when))
    elif action in RESUME:
        clock_resume(case=case, on=timezone.localdate(when))
    elif transition.target in STOP_AT:
        clock_stop(case=case, on=timezone.localdate(when))


@transaction.atomic
def calendar_day_save(*, day: CalendarDay, actor: Any) -> CalendarDay:
    """Add or change a calendar exception, and move the running clocks that count on it."""
    created = day.pk is None
    before = None
    if not created:
        old = CalendarDay.objects.filter(pk=day.pk).values("date", "kind", "name").first()
        before = {k: str(v) for k, v in old.items()} if old else None
    day.full_clean()
    day.save()
    audit_record(
        actor=actor,
        verb="calendar.day_added" if created else "calendar.day_changed",
        target=day,
        before=before,
        after={"calendar": day.calendar.code, "date": str(day.date), "kind": day.kind, "name": day.name},
    )
    clocks_recompute(calendar=day.calendar)
    return day


@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, actor: Any) -> None:
    calendar = day.calendar
    audit_record(
        actor=actor,
        verb="calendar.day_removed",
        target=day,
        before={"calendar": calendar.code, "date": str(day.date), "kind": day.kind, "name": day.name},
    )
    day.delete()
    clocks_recompute(calendar=calendar)
