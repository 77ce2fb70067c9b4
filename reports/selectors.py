"""Reads for the management reports: what was opened and decided, how long decisions took against the time limit,
how often the applicant was asked for information, permits that need attention, and re-check findings by run.

Every selector takes the period (`start`, `end`, inclusive) and `today` from its caller and never reads the clock:
tests fix the dates, and a page built at midnight does not mix two days. `end` is cut at `today` (weeks to come
have nothing to count). Each answers in a fixed number of queries, whatever the number of cases: the counting is
grouped in the database, and only the time to decision reads rows (one per decided case in the period, which the
period bounds) because working days need the holiday calendar, which `timelimits.workdays` applies in Python.

A case is *opened* when it is submitted (drafts are the applicant's business) and *decided* when it is approved
or refused; its decision day is the day its clock stopped, which the clock's listener sets from the transition."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, DateField, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncWeek
from django_countries import countries

from accounts.models import User
from accounts.roles import Role
from cases.models import Case
from cases.vocab import CaseStatus, LicenceType
from permits.models import Permit, PermitItem, PermitStatus
from permits.selectors import ZERO_QUANTITY, ZERO_VALUE
from rechecks.models import Finding, RecheckRun
from rfis.models import InformationRequest
from screening.models import Outcome, Screening
from timelimits.models import CalendarDay, CaseClock
from timelimits.workdays import is_working_day

WEEKS_SHOWN = 12
# A period longer than a year and a week is refused by the form: the time to decision reads a row per decided
# case, and a bounded period keeps that read bounded.
MAX_PERIOD_DAYS = 371
DECIDED = (CaseStatus.APPROVED, CaseStatus.REFUSED)
NEAR_EXPIRY_DAYS = 30
NEAR_EXHAUSTION_SHARE = Decimal("0.9")


def near_exhaustion_percent() -> str:
    """NEAR_EXHAUSTION_SHARE as the page writes it ("90"), so no text says a threshold the code does not use."""
    return f"{(NEAR_EXHAUSTION_SHARE * 100).normalize():f}"


RUNS_SHOWN = 20
REPORT_ROLES = (Role.SENIOR_REVIEWER, Role.AUDITOR)


def may_see_reports(user: User) -> bool:
    """Senior reviewers and auditors read the management figures, and the site's staff. Other reviewers and the
    exporters' officers do not: the figures are about the authority's own performance."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_staff or user.has_role(*REPORT_ROLES)


# --- periods and weeks -------------------------------------------------------------------------------------------


def week_of(day: date) -> date:
    """The Monday that starts the (ISO) week of `day`."""
    return day - timedelta(days=day.weekday())


def default_period(*, today: date) -> tuple[date, date]:
    """The last WEEKS_SHOWN weeks, this one included: from a Monday to today."""
    return week_of(today) - timedelta(weeks=WEEKS_SHOWN - 1), today


def weeks_in(start: date, end: date) -> list[date]:
    """The Mondays of the weeks that overlap start..end, in order."""
    weeks, monday = [], week_of(start)
    while monday <= end:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks


def _cut(start: date, end: date, today: date) -> tuple[date, date]:
    return start, min(end, today)


def _by_week(rows: Iterable[tuple[date, int]]) -> dict[date, int]:
    counts: dict[date, int] = defaultdict(int)
    for week, n in rows:
        counts[week] += n
    return counts


def _decided_between(start: date, end: date):
    return Case.objects.filter(status__in=DECIDED, clock__stopped_on__gte=start, clock__stopped_on__lte=end)


# --- cases opened and decided ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    week: date
    opened: int
    decided: int


def cases_per_week(*, start: date, end: date, today: date) -> list[WeekCount]:
    """Cases submitted and cases decided in each week of the period (two queries)."""
    start, end = _cut(start, end, today)
    opened = _by_week(
        Case.objects.filter(submitted_at__date__gte=start, submitted_at__date__lte=end)
        .annotate(week=TruncWeek("submitted_at", output_field=DateField()))
        .values("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    decided = _by_week(
        _decided_between(start, end)
        .annotate(week=TruncWeek("clock__stopped_on"))
        .values("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    return [WeekCount(week, opened.get(week, 0), decided.get(week, 0)) for week in weeks_in(start, end)]


# --- screening outcomes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeWeeks:
    weeks: list[date]
    # (outcome value, label, counts per week), in the order of the Outcome choices, outcomes never seen left out.
    outcomes: list[tuple[str, str, list[int]]]


def outcomes_per_week(*, start: date, end: date, today: date) -> OutcomeWeeks:
    """What screening on submission found, per week of the screening (one query). A re-screening is not counted:
    the chart shows what came in, not how often it was looked at again."""
    start, end = _cut(start, end, today)
    rows = (
        Screening.objects.filter(
            trigger=Screening.Trigger.SUBMISSION, created_at__date__gte=start, created_at__date__lte=end
        )
        .annotate(week=TruncWeek("created_at", output_field=DateField()))
        .values("week", "outcome")
        .annotate(n=Count("id"))
        .values_list("week", "outcome", "n")
    )
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for week, outcome, n in rows:
        counts[outcome][week] += n
    weeks = weeks_in(start, end)
    outcomes = [
        (value, str(label), [counts[value].get(week, 0) for week in weeks])
        for value, label in Outcome.choices
        if value in counts
    ]
    return OutcomeWeeks(weeks=weeks, outcomes=outcomes)


# --- time to decision --------------------------------------------------------------------------------------------


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile with linear interpolation between the two nearest values: the same definition
    as PostgreSQL's percentile_cont, so a figure here can be checked against the database by hand."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class WorkingDayIndex:
    """Working days counted once over a span of dates, so that the days between any two of them is a
    subtraction: thousands of cases cost one walk through the calendar instead of one walk each.
    Same convention as `timelimits.workdays.working_days_between`: the first day does not count, the last does."""

    def __init__(self, first: date, last: date, *, holidays=frozenset(), extra_working_days=frozenset()) -> None:
        self.first = first
        self.cumulative = [0]
        day, total = first, 0
        while day < last:
            day += timedelta(days=1)
            total += is_working_day(day, holidays=holidays, extra_working_days=extra_working_days)
            self.cumulative.append(total)

    def between(self, a: date, b: date) -> int:
        return self.cumulative[(b - self.first).days] - self.cumulative[(a - self.first).days]


@dataclass(frozen=True)
class DecisionTimes:
    """Working days from submission to decision, pauses for information taken out, for one group of cases."""

    key: str
    label: str
    days: list[int] = field(repr=False)
    limits: list[int] = field(repr=False)

    @property
    def decided(self) -> int:
        return len(self.days)

    # Cached: the page reads each figure for the summary, the chart and the table.
    @cached_property
    def median(self) -> float | None:
        return percentile_cont(self.days, 0.5)

    @cached_property
    def p90(self) -> float | None:
        return percentile_cont(self.days, 0.9)

    @cached_property
    def limit(self) -> float | None:
        """The limit most of these cases had (the median of their limits: one licence type has one limit)."""
        return percentile_cont(self.limits, 0.5)

    @cached_property
    def within_limit(self) -> int:
        return sum(1 for days, limit in zip(self.days, self.limits, strict=True) if days <= limit)

    @property
    def within_share(self) -> float | None:
        return self.within_limit / self.decided if self.decided else None


@dataclass(frozen=True)
class DecisionTimeReport:
    overall: DecisionTimes
    by_destination: list[DecisionTimes]
    by_licence_type: list[DecisionTimes]


def _groups(rows: list[tuple[str, str, int, int]]) -> list[DecisionTimes]:
    days: dict[str, list[int]] = defaultdict(list)
    limits: dict[str, list[int]] = defaultdict(list)
    labels: dict[str, str] = {}
    for key, label, elapsed, limit in rows:
        days[key].append(elapsed)
        limits[key].append(limit)
        labels[key] = label
    groups = [DecisionTimes(key, labels[key], days[key], limits[key]) for key in days]
    return sorted(groups, key=lambda g: (-g.decided, g.label))


def decision_times(*, start: date, end: date, today: date) -> DecisionTimeReport:
    """Time to decision of the cases decided in the period, overall, by destination and by licence type (two
    queries: the decided cases' clocks, and the calendar days their clocks count on).

    A case's time is the working days after its submission up to and including its decision day, on its clock's
    calendar, less the working days its clock was paused for information: the same count the clock's due date
    is made of, so a case decided on its due day took exactly its limit."""
    start, end = _cut(start, end, today)
    clocks = list(
        CaseClock.objects.filter(case__status__in=DECIDED, stopped_on__gte=start, stopped_on__lte=end).values_list(
            "case__destination_country",
            "case__licence_type",
            "calendar_id",
            "started_on",
            "stopped_on",
            "paused_working_days",
            "limit_working_days",
        )
    )
    indexes: dict[int | None, WorkingDayIndex] = {}
    if clocks:
        first = min(c[3] for c in clocks)
        last = max(c[4] for c in clocks)
        exceptions: dict[int | None, dict[str, set[date]]] = defaultdict(
            lambda: {"holidays": set(), "extra_working_days": set()}
        )
        calendar_ids = {c[2] for c in clocks if c[2] is not None}
        for calendar_id, day, kind in CalendarDay.objects.filter(
            calendar_id__in=calendar_ids, date__gt=first, date__lte=last
        ).values_list("calendar_id", "date", "kind"):
            exceptions[calendar_id]["holidays" if kind == CalendarDay.Kind.HOLIDAY else "extra_working_days"].add(day)
        for calendar_id in calendar_ids | {None}:
            sets = exceptions[calendar_id] if calendar_id is not None else {}
            indexes[calendar_id] = WorkingDayIndex(first, last, **{k: frozenset(v) for k, v in sets.items()})
    # Names looked up once per code, not per case: translating a country's name costs more than counting its days.
    country_names = {code: countries.name(str(code or "")) or "—" for code in {c[0] for c in clocks}}
    type_labels = {code: _licence_type_label(code) for code in {c[1] for c in clocks}}
    by_destination, by_type, overall = [], [], []
    for destination, licence_type, calendar_id, started_on, stopped_on, paused, limit in clocks:
        elapsed = max(0, indexes[calendar_id].between(started_on, stopped_on) - paused)
        by_destination.append((str(destination or ""), country_names[destination], elapsed, limit))
        by_type.append((licence_type, type_labels[licence_type], elapsed, limit))
        overall.append(("all", "All", elapsed, limit))
    everything = _groups(overall)
    return DecisionTimeReport(
        overall=everything[0] if everything else DecisionTimes("all", "All", [], []),
        by_destination=_groups(by_destination),
        by_licence_type=_groups(by_type),
    )


def _licence_type_label(code: str) -> str:
    try:
        return str(LicenceType(code).label)
    except ValueError:
        return code


# --- requests for information ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRate:
    week: date | None
    decided: int
    with_request: int

    @property
    def share(self) -> float | None:
        return self.with_request / self.decided if self.decided else None


def information_request_rate(*, start: date, end: date, today: date) -> tuple[RequestRate, list[RequestRate]]:
    """Of the cases decided in the period, how many the applicant was asked for information on (any request,
    whatever became of it), overall and per week of decision (one query)."""
    start, end = _cut(start, end, today)
    asked = Exists(InformationRequest.objects.filter(case=OuterRef("pk")))
    rows = (
        _decided_between(start, end)
        .annotate(week=TruncWeek("clock__stopped_on"))
        .values("week")
        .annotate(n=Count("id"), asked=Count("id", filter=Q(asked)))
        .values_list("week", "n", "asked")
    )
    counts = {week: (n, n_asked) for week, n, n_asked in rows}
    weeks = [RequestRate(week, *counts.get(week, (0, 0))) for week in weeks_in(start, end)]
    total = RequestRate(None, sum(w.decided for w in weeks), sum(w.with_request for w in weeks))
    return total, weeks


# --- permits -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermitAttention:
    permit: Permit
    days_left: int
    # The most used line's share of its quantity or value limit, whichever is further used (0..1, or more).
    used_share: Decimal
    near_expiry: bool
    near_exhaustion: bool


def permits_needing_attention(
    *,
    today: date,
    within_days: int | None = None,
    used_share: Decimal | None = None,
) -> list[PermitAttention]:
    """Permits in force that end within `within_days` of today, or with a line used to `used_share` of its
    quantity or value limit or more (two queries); by default NEAR_EXPIRY_DAYS and NEAR_EXHAUSTION_SHARE, read
    at each call like the texts that name them. The tolerance is not counted: a line at its limit is used up (see
    permits.selectors.LineBalance.used_up), so 90 % of the limit is the warning."""
    within_days = NEAR_EXPIRY_DAYS if within_days is None else within_days
    used_share = NEAR_EXHAUSTION_SHARE if used_share is None else used_share
    in_force = Q(status=PermitStatus.ISSUED, valid_from__lte=today, valid_to__gte=today)
    expiring = {
        p.pk: p
        for p in Permit.objects.filter(in_force, valid_to__lte=today + timedelta(days=within_days)).select_related(
            "organisation"
        )
    }
    share = ExpressionWrapper(
        F("quantity_limit") * used_share, output_field=DecimalField(max_digits=24, decimal_places=8)
    )
    value_share = ExpressionWrapper(
        F("value_limit") * used_share, output_field=DecimalField(max_digits=24, decimal_places=8)
    )
    items = (
        PermitItem.objects.filter(
            permit__status=PermitStatus.ISSUED, permit__valid_from__lte=today, permit__valid_to__gte=today
        )
        .annotate(
            quantity_used=Coalesce(Sum("shipment_lines__quantity"), ZERO_QUANTITY),
            value_used=Coalesce(Sum("shipment_lines__value"), ZERO_VALUE),
        )
        .filter(Q(quantity_limit__gt=0, quantity_used__gte=share) | Q(value_limit__gt=0, value_used__gte=value_share))
        .select_related("permit__organisation")
    )
    worst: dict[int, Decimal] = {}
    permits = dict(expiring)
    for item in items:
        shares = [Decimal(item.quantity_used) / item.quantity_limit if item.quantity_limit else Decimal(0)]
        shares.append(Decimal(item.value_used) / item.value_limit if item.value_limit else Decimal(0))
        worst[item.permit_id] = max(worst.get(item.permit_id, Decimal(0)), *shares)
        permits.setdefault(item.permit_id, item.permit)
    rows = [
        PermitAttention(
            permit=permit,
            days_left=(permit.valid_to - today).days,
            used_share=worst.get(pk, Decimal(0)),
            near_expiry=pk in expiring,
            near_exhaustion=pk in worst,
        )
        for pk, permit in permits.items()
    ]
    return sorted(rows, key=lambda r: (r.permit.valid_to, r.permit.number))


# --- re-checks ---------------------------------------------------------------------------------------------------


def recheck_findings_by_run(*, start: date, end: date, today: date, limit: int = RUNS_SHOWN) -> list[RecheckRun]:
    """The re-check runs started in the period, the latest `limit`, oldest first, each annotated with its
    findings by direction and how many stricter ones are still open (one query)."""
    start, end = _cut(start, end, today)
    stricter = Q(findings__direction=Finding.Direction.STRICTER)
    runs = (
        RecheckRun.objects.filter(created_at__date__gte=start, created_at__date__lte=end)
        .annotate(
            stricter=Count("findings", filter=stricter),
            looser=Count("findings", filter=Q(findings__direction=Finding.Direction.LOOSER)),
            same_outcome=Count("findings", filter=Q(findings__direction=Finding.Direction.SAME_OUTCOME)),
            open_stricter=Count("findings", filter=stricter & Q(findings__status=Finding.Status.OPEN)),
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(runs))
