"""Management reports: each figure on a small dataset whose answers are worked out by hand, the charts as SVG
that parses, the CSV downloads, a fixed number of queries, who may open the page, and the re-check panel on the
reviewer's home.

The rows are written directly (cases put into a state, clocks, screenings, requests, permits and findings): the
reports only read them, and how each comes to be is tested with its own app."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from cases.models import Case
from cases.vocab import CaseStatus
from permits.models import Permit, PermitItem, PermitStatus, Shipment, ShipmentLine
from rechecks.models import Finding, RecheckRun, Trigger
from reports import charts
from reports import selectors as report_selectors
from reports import tables as report_tables
from reports.selectors import (
    WorkingDayIndex,
    cases_per_week,
    decision_times,
    default_period,
    information_request_rate,
    outcomes_per_week,
    percentile_cont,
    permits_needing_attention,
    recheck_findings_by_run,
    weeks_in,
)
from rfis.models import InformationRequest
from screening.models import LicenceType, RuleSetVersion, Screening
from timelimits.models import CalendarDay, CaseClock, HolidayCalendar
from timelimits.services import calendar_dates
from timelimits.workdays import working_days_between

from .factories import make_case, make_user

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def calendar(db):
    """Wednesday 4 June 2025 a holiday, Saturday 14 June 2025 worked."""
    cal = HolidayCalendar.objects.create(code="TEST", name="Test calendar")
    CalendarDay.objects.create(calendar=cal, date=date(2025, 6, 4), kind=CalendarDay.Kind.HOLIDAY)
    CalendarDay.objects.create(calendar=cal, date=date(2025, 6, 14), kind=CalendarDay.Kind.WORKING_DAY)
    return cal


@pytest.fixture
def version(db):
    return RuleSetVersion.objects.create(label="reports-test")


@pytest.fixture
def licence_type(version):
    return LicenceType.objects.create(
        version=version, jurisdiction="CN", code="single", name="Single licence", max_validity_days=365
    )


def submitted(officer, on: datetime, *, status=CaseStatus.SCREENED, **overrides) -> Case:
    case = make_case(officer, with_certificate=False, **overrides)
    Case.objects.filter(pk=case.pk).update(status=status, submitted_at=on)
    case.refresh_from_db()
    return case


def decided(
    officer,
    started: date,
    stopped: date | None,
    *,
    status=CaseStatus.APPROVED,
    paused: int = 0,
    limit: int = 10,
    calendar=None,
    **overrides,
) -> Case:
    case = submitted(officer, at(started), status=status, **overrides)
    CaseClock.objects.create(
        case=case,
        calendar=calendar,
        started_on=started,
        limit_working_days=limit,
        paused_working_days=paused,
        due_on=started + timedelta(days=30),
        due_soon_on=started + timedelta(days=25),
        stopped_on=stopped,
    )
    return case


def ask(case, reviewer, status=InformationRequest.Status.ANSWERED) -> InformationRequest:
    return InformationRequest.objects.create(
        case=case, asked_by=reviewer, deadline=date(2025, 6, 30), status=status, questions="Who is the end user?"
    )


# --- pure parts ------------------------------------------------------------------------------------------------


def test_percentile_cont_interpolates_as_postgresql_does():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7], 0.9) == 7
    assert percentile_cont([4, 1, 3, 2], 0.5) == 2.5
    assert percentile_cont([1, 3, 10, 12], 0.9) == pytest.approx(11.4)
    assert percentile_cont(list(range(1, 11)), 0.9) == pytest.approx(9.1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own percentile_cont")
@pytest.mark.parametrize("values", [[1, 3, 10, 12], [5], [2, 2, 9], list(range(37, 0, -3))])
def test_percentile_cont_matches_postgresql(db, values):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v) "
            "FROM unnest(%s::float8[]) AS v",
            [values],
        )
        median, p90 = cursor.fetchone()
    assert (percentile_cont(values, 0.5), percentile_cont(values, 0.9)) == (pytest.approx(median), pytest.approx(p90))


def test_the_working_day_index_counts_as_the_clock_does(db):
    cn = calendar_dates(HolidayCalendar.objects.get(code="CN"))
    first, last = date(2025, 9, 20), date(2025, 10, 20)
    index = WorkingDayIndex(first, last, **cn)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    for a in days[::3]:
        for b in days:
            if b >= a:
                assert index.between(a, b) == working_days_between(a, b, **cn), (a, b)


def test_weeks_start_on_monday_across_the_new_year():
    assert weeks_in(date(2025, 12, 24), date(2026, 1, 7)) == [date(2025, 12, 22), date(2025, 12, 29), date(2026, 1, 5)]
    assert default_period(today=date(2026, 1, 7)) == (date(2025, 10, 20), date(2026, 1, 7))


# --- each figure -----------------------------------------------------------------------------------------------


def test_cases_opened_and_decided_per_week_across_a_year_boundary(officer):
    submitted(officer, at(date(2025, 12, 28), 23, 59))  # a Sunday: the week of 22 December
    submitted(officer, at(date(2025, 12, 29), 0, 1))  # the Monday after: the week of 29 December
    submitted(officer, at(date(2026, 1, 2)))  # the same week, in the new year
    submitted(officer, at(date(2026, 1, 4), 23, 30))  # Sunday: still that week
    submitted(officer, at(date(2026, 1, 5)))
    submitted(officer, at(date(2026, 1, 9)))  # after today: not counted
    make_case(officer, with_certificate=False)  # a draft is not opened
    decided(officer, date(2025, 12, 1), date(2025, 12, 31))
    decided(officer, date(2025, 12, 1), date(2026, 1, 1), status=CaseStatus.REFUSED)
    decided(officer, date(2025, 12, 1), date(2026, 1, 2), status=CaseStatus.WITHDRAWN)  # not a decision

    weeks = cases_per_week(start=date(2025, 12, 22), end=date(2026, 1, 31), today=date(2026, 1, 7))

    assert [(w.week, w.opened, w.decided) for w in weeks] == [
        (date(2025, 12, 22), 1, 0),
        (date(2025, 12, 29), 3, 2),
        (date(2026, 1, 5), 1, 0),
    ]


def test_screening_outcomes_per_week_stacked_by_outcome(officer, version):
    def screening(day: date, outcome: str, trigger=Screening.Trigger.SUBMISSION) -> None:
        case = submitted(officer, at(day))
        row = Screening.objects.create(
            case=case,
            version=version,
            trigger=trigger,
            decisive_date=day,
            outcome=outcome,
            determination={},
            facts_digest=f"{case.pk:064d}",
        )
        Screening.objects.filter(pk=row.pk).update(created_at=at(day))

    screening(date(2025, 12, 30), "licence_required")
    screening(date(2026, 1, 1), "licence_required")
    screening(date(2026, 1, 2), "prohibited")
    screening(date(2026, 1, 6), "no_licence_required")
    screening(date(2026, 1, 6), "prohibited", trigger=Screening.Trigger.RESCREEN)  # not what came in

    data = outcomes_per_week(start=date(2025, 12, 29), end=date(2026, 1, 11), today=date(2026, 1, 11))

    assert data.weeks == [date(2025, 12, 29), date(2026, 1, 5)]
    assert [(value, counts) for value, _label, counts in data.outcomes] == [
        ("no_licence_required", [0, 1]),
        ("licence_required", [2, 0]),
        ("prohibited", [1, 0]),
    ]


@pytest.fixture
def decided_set(officer, reviewer, calendar):
    """Four cases decided in June 2025 on the test calendar (4 June off, 14 June worked), limit 10 working days:
    A 2→9 June: 3, 5, 6, 9 = 4 working days, 1 paused → 3
    B 2→16 June: 3, 5, 6, 9–13, 14, 16 = 10 → 10
    C 2→20 June: 10 + 17–20 = 14, 2 paused → 12 (over the limit)
    D 5→6 June to the US, a general licence with a limit of 20: 1
    and, not counted: a withdrawal, a case decided in May, one still open."""
    a = decided(officer, date(2025, 6, 2), date(2025, 6, 9), paused=1, calendar=calendar)
    decided(officer, date(2025, 6, 2), date(2025, 6, 16), calendar=calendar, status=CaseStatus.REFUSED)
    c = decided(officer, date(2025, 6, 2), date(2025, 6, 20), paused=2, calendar=calendar)
    decided(
        officer,
        date(2025, 6, 5),
        date(2025, 6, 6),
        calendar=calendar,
        limit=20,
        destination_country="US",
        licence_type="general",
    )
    withdrawn = decided(officer, date(2025, 6, 2), date(2025, 6, 3), status=CaseStatus.WITHDRAWN, calendar=calendar)
    decided(officer, date(2025, 5, 2), date(2025, 5, 30), calendar=calendar)
    still_open = decided(officer, date(2025, 6, 2), None, status=CaseStatus.IN_REVIEW, calendar=calendar)
    ask(a, reviewer)
    ask(c, reviewer, status=InformationRequest.Status.CANCELLED)
    ask(c, reviewer)  # two requests on one case count once
    ask(withdrawn, reviewer)
    ask(still_open, reviewer, status=InformationRequest.Status.OPEN)
    return {"start": date(2025, 6, 1), "end": date(2025, 6, 30), "today": date(2025, 7, 1)}


def test_time_to_decision_median_and_p90_with_a_pause_and_a_holiday(decided_set):
    report = decision_times(**decided_set)

    overall = report.overall
    assert sorted(overall.days) == [1, 3, 10, 12]
    assert (overall.decided, overall.median, overall.p90) == (4, 6.5, pytest.approx(11.4))
    assert (overall.limit, overall.within_limit, overall.within_share) == (10, 3, 0.75)

    by_destination = {g.key: g for g in report.by_destination}
    assert list(by_destination) == ["DE", "US"]  # most decided first
    germany = by_destination["DE"]
    assert (germany.label, germany.decided, germany.median, germany.p90) == ("Germany", 3, 10, pytest.approx(11.6))
    assert (by_destination["US"].median, by_destination["US"].p90, by_destination["US"].limit) == (1, 1, 20)

    by_type = {g.key: (g.decided, g.median, g.limit, g.within_limit) for g in report.by_licence_type}
    assert by_type == {"single": (3, 10, 10, 2), "general": (1, 1, 20, 1)}


def test_a_case_without_a_calendar_counts_monday_to_friday(officer):
    decided(officer, date(2025, 6, 2), date(2025, 6, 9))  # 3, 4, 5, 6, 9: no holiday without a calendar
    report = decision_times(start=date(2025, 6, 1), end=date(2025, 6, 30), today=date(2025, 6, 30))
    assert report.overall.days == [5]


def test_information_request_rate_of_decided_cases(decided_set):
    total, weeks = information_request_rate(**decided_set)
    assert (total.decided, total.with_request, total.share) == (4, 2, 0.5)
    by_week = {w.week: (w.decided, w.with_request) for w in weeks}
    assert by_week[date(2025, 6, 2)] == (1, 0)  # D, decided on the 6th
    assert by_week[date(2025, 6, 9)] == (1, 1)  # A
    assert by_week[date(2025, 6, 16)] == (2, 1)  # B and C
    assert by_week[date(2025, 6, 23)] == (0, 0)
    assert [w.share for w in weeks if w.week == date(2025, 6, 23)] == [None]


TODAY = date(2026, 3, 2)


def permit(
    case,
    version,
    licence_type,
    reviewer,
    *,
    valid_to: date,
    valid_from: date = date(2026, 1, 1),
    status=PermitStatus.ISSUED,
    screened_on: date = TODAY,
    outcome: str = "licence_required",
) -> Permit:
    screening = Screening.objects.create(
        case=case,
        version=version,
        decisive_date=screened_on,
        outcome=outcome,
        determination={},
        facts_digest=f"{case.pk:064d}",
    )
    return Permit.objects.create(
        number=f"PRM-R-{case.pk:05d}",
        organisation=case.organisation,
        case=case,
        rule_set=version,
        screening=screening,
        licence_type=licence_type,
        destination_country="DE",
        end_user_name="Stuttgart Antriebstechnik GmbH",
        end_user_country="DE",
        valid_from=valid_from,
        valid_to=valid_to,
        status=status,
        issued_by=reviewer,
    )


def line(permit_: Permit, reviewer, *, limit=("100", "1000.00"), used=("0", "0.00")) -> PermitItem:
    item = PermitItem.objects.create(
        permit=permit_,
        description="NdFeB magnets",
        quantity_limit=Decimal(limit[0]),
        quantity_unit="kg",
        value_limit=Decimal(limit[1]),
        value_currency="USD",
    )
    # Two shipments, so the sums are sums.
    for share in (Decimal("0.25"), Decimal("0.75")):
        shipment = Shipment.objects.create(permit=permit_, shipped_on=TODAY, recorded_by=reviewer)
        ShipmentLine.objects.create(
            shipment=shipment,
            permit_item=item,
            quantity=Decimal(used[0]) * share,
            value=(Decimal(used[1]) * share).quantize(Decimal("0.01")),
        )
    return item


@pytest.fixture
def permits_set(officer, reviewer, version, licence_type):
    def new(valid_to, **kwargs):
        return permit(submitted(officer, at(TODAY)), version, licence_type, reviewer, valid_to=valid_to, **kwargs)

    expiring = new(TODAY + timedelta(days=30))  # on the edge: listed
    line(expiring, reviewer)
    later = new(TODAY + timedelta(days=31))
    line(later, reviewer, used=("89.999", "10.00"))  # not yet 90 % of anything
    at_ninety = new(TODAY + timedelta(days=31))
    line(at_ninety, reviewer)
    line(at_ninety, reviewer, used=("90", "0.00"))  # the second line is 90 % used: listed
    by_value = new(TODAY + timedelta(days=200))
    line(by_value, reviewer, used=("1", "950.00"))
    both = new(TODAY + timedelta(days=3))
    line(both, reviewer, used=("100", "0.00"))
    suspended = new(TODAY + timedelta(days=3), status=PermitStatus.SUSPENDED)
    line(suspended, reviewer, used=("100", "1000.00"))
    new(TODAY - timedelta(days=1))  # ended yesterday
    return {"expiring": expiring, "at_ninety": at_ninety, "by_value": by_value, "both": both}


def test_permits_near_expiry_or_exhaustion(permits_set):
    rows = permits_needing_attention(today=TODAY)
    got = {r.permit.pk: (r.days_left, r.near_expiry, r.near_exhaustion, r.used_share) for r in rows}
    p = permits_set
    assert got == {
        p["both"].pk: (3, True, True, Decimal(1)),
        p["expiring"].pk: (30, True, False, Decimal(0)),
        p["at_ninety"].pk: (31, False, True, Decimal("0.9")),
        p["by_value"].pk: (200, False, True, Decimal("0.95")),
    }
    assert [r.permit.pk for r in rows] == [p["both"].pk, p["expiring"].pk, p["at_ninety"].pk, p["by_value"].pk]


def test_the_thresholds_the_texts_name_are_the_ones_applied(permits_set, senior, monkeypatch):
    # Other thresholds: the selector, the empty table's text and the page's explanation all follow them.
    monkeypatch.setattr(report_selectors, "NEAR_EXPIRY_DAYS", 31)
    monkeypatch.setattr(report_selectors, "NEAR_EXHAUSTION_SHARE", Decimal("0.95"))
    rows = {r.permit.pk: (r.near_expiry, r.near_exhaustion) for r in permits_needing_attention(today=TODAY)}
    p = permits_set
    assert rows[p["at_ninety"].pk] == (True, False)  # ends in 31 days; 90 % used is below 95 %
    assert rows[p["by_value"].pk] == (False, True)
    empty = report_tables.permits_table([]).empty
    assert str(empty) == "No permit in force ends within 31 days or has a line 95 % used."
    with translation.override("zh-hans"):
        assert str(report_tables.permits_table([]).empty) == "没有在 31 天内到期或有某行已用去 95％ 的有效许可证。"
    page = client_for(senior).get(reverse("reports:dashboard")).content.decode()
    assert "Permits in force that end within 31 days, or with a line used to 95 % of its quantity" in page
    assert report_selectors.near_exhaustion_percent() == "95"
    monkeypatch.setattr(report_selectors, "NEAR_EXHAUSTION_SHARE", Decimal("1.00"))
    assert report_selectors.near_exhaustion_percent() == "100"


def _run(version, day: date, trigger=Trigger.RULE_SET_PUBLISHED) -> RecheckRun:
    run = RecheckRun.objects.create(
        trigger=trigger, new_version=version, decisive_date=day, baseline_date=day, status=RecheckRun.Status.DONE
    )
    RecheckRun.objects.filter(pk=run.pk).update(created_at=at(day))
    return run


def _finding(run, permit_, direction, status=Finding.Status.OPEN) -> Finding:
    return Finding.objects.create(
        run=run, permit=permit_, direction=direction, old_outcome="a", new_outcome="b", status=status
    )


def test_recheck_findings_by_run(permits_set, version):
    first = _run(version, date(2026, 2, 2))
    second = _run(version, date(2026, 2, 20), trigger=Trigger.MANUAL)
    _run(version, date(2025, 12, 1))  # before the period
    stricter, looser, same = Finding.Direction.STRICTER, Finding.Direction.LOOSER, Finding.Direction.SAME_OUTCOME
    _finding(first, permits_set["both"], stricter)
    _finding(first, permits_set["expiring"], stricter, status=Finding.Status.KEPT)
    _finding(first, permits_set["at_ninety"], looser)
    _finding(first, permits_set["by_value"], same)
    _finding(second, permits_set["both"], looser)

    runs = recheck_findings_by_run(start=date(2026, 1, 1), end=date(2026, 3, 1), today=TODAY)

    assert [(r.pk, r.stricter, r.looser, r.same_outcome, r.open_stricter) for r in runs] == [
        (first.pk, 2, 1, 1, 1),
        (second.pk, 0, 1, 0, 0),
    ]


# --- charts ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bar", "stacked", "line"])
def test_charts_are_well_formed_svg_with_title_and_desc(kind):
    categories = ["2025-12-29", "<b>&'\"", "2026-01-12"]
    series = [charts.Series("Opened & <more>", [3, 0, 5]), charts.Series("Decided", [1, None, 2])]
    if kind == "bar":
        svg = charts.bar_chart(title="T <1>", desc="D & d", categories=categories, series=series, reference=("L", 4))
    elif kind == "stacked":
        svg = charts.stacked_bar_chart(title="T <1>", desc="D & d", categories=categories, series=series)
    else:
        svg = charts.line_chart(title="T <1>", desc="D & d", categories=categories, series=series)

    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.text, desc.text) == ("T <1>", "D & d")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<b>&'\"" in texts and "Opened & <more>" in texts
    assert "style" not in str(svg) and "script" not in str(svg)
    marks = {"bar": "rect", "stacked": "rect", "line": "circle"}[kind]
    tips = [m.find(f"{SVG}title").text for m in root.iter(f"{SVG}{marks}") if m.find(f"{SVG}title") is not None]
    if kind == "bar":
        assert "2026-01-12, Opened & <more>: 5" in tips and len(tips) == 6
        assert any(line_.get("stroke-dasharray") for line_ in root.iter(f"{SVG}line"))
    elif kind == "stacked":
        assert len(tips) == 4  # zero segments are not drawn
    else:
        assert len(tips) == 5  # a missing value has no point


def test_a_long_category_is_cut_on_the_axis_and_whole_in_its_tooltip():
    name = "United States of America"
    svg = charts.bar_chart(title="t", desc="d", categories=[name], series=[charts.Series("Median", [4])])
    root = ET.fromstring(str(svg))
    assert "United States o…" in [t.text for t in root.iter(f"{SVG}text")]
    assert [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None] == [
        f"{name}, Median: 4"
    ]


def test_a_stacked_bar_is_as_tall_as_its_total():
    svg = charts.stacked_bar_chart(
        title="t", desc="d", categories=["w1"], series=[charts.Series("a", [2]), charts.Series("b", [3])]
    )
    # The bar's segments are the rects with a tooltip (the legend's squares have none).
    segments = [r for r in ET.fromstring(str(svg)).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    low, high = (float(r.get("height")) for r in segments)
    assert high == pytest.approx(low * 1.5)
    assert float(segments[1].get("y")) + high == pytest.approx(float(segments[0].get("y")))  # b sits on a


# --- the page --------------------------------------------------------------------------------------------------


@pytest.fixture
def senior(db):
    return make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior_reports")


def test_who_may_open_the_reports(officer, reviewer, senior, auditor, rule_admin):
    staff = make_user(username="staffer")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    for url in (reverse("reports:dashboard"), reverse("reports:csv", kwargs={"table": "weekly"})):
        response = client_for(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        for refused in (officer, reviewer, rule_admin):
            assert client_for(refused).get(url).status_code == 403, (url, refused)
        for allowed in (senior, auditor, staff):
            assert client_for(allowed).get(url).status_code == 200, (url, allowed)


def test_the_navigation_links_to_the_reports_for_those_who_may_see_them(senior, auditor, reviewer, officer):
    link = f'href="{reverse("reports:dashboard")}"'
    assert link in client_for(senior).get(reverse("cases:list")).content.decode()
    assert link in client_for(auditor).get(reverse("cases:list")).content.decode()
    assert link not in client_for(reviewer).get(reverse("cases:list")).content.decode()
    assert link not in client_for(officer).get(reverse("cases:list")).content.decode()


def test_the_page_shows_every_figure_with_charts_tables_and_csv_links(decided_set, senior):
    response = client_for(senior).get(reverse("reports:dashboard"), {"start": "2025-06-01", "end": "2025-06-30"})
    assert response.status_code == 200
    page = response.content.decode()
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    # Weekly counts, the two times to decision and the request rate; no screenings, permits or runs to draw.
    assert len(svgs) == 4
    assert page.count("Nothing to show for this period.") == 2  # screenings and re-check runs
    assert "No permit in force ends within 30 days" in page
    for svg in svgs:
        ET.fromstring(svg)
    assert '<th scope="row">Germany</th>' in page
    assert "6.5 working days (90th percentile 11.4)" in page
    assert "50 % (2 / 4)" in page
    for slug in ("weekly", "outcomes", "time-by-destination", "time-by-licence-type", "information-requests"):
        assert f"{reverse('reports:csv', kwargs={'table': slug})}?start=2025-06-01&amp;end=2025-06-30" in page
    assert "<script" not in page.split("</head>")[1]


def test_a_wrong_period_is_shown_with_its_error_and_the_default_period_used(senior):
    response = client_for(senior).get(reverse("reports:dashboard"), {"start": "2025-06-30", "end": "2025-06-01"})
    assert response.status_code == 200
    assert "The end of the period is before its start." in response.content.decode()
    assert (response.context["start"], response.context["end"]) == default_period(today=timezone.localdate())
    response = client_for(senior).get(reverse("reports:dashboard"), {"start": "2020-01-01", "end": "2025-06-01"})
    assert "A period of at most" in response.content.decode()
    csv_response = client_for(senior).get(reverse("reports:csv", kwargs={"table": "weekly"}), {"start": "nonsense"})
    assert csv_response.status_code == 400


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_of_each_table_says_what_the_page_says(decided_set, senior):
    client = client_for(senior)
    period = {"start": "2025-06-01", "end": "2025-06-30"}
    rows = _csv(client.get(reverse("reports:csv", kwargs={"table": "time-by-destination"}), period))
    assert rows == [
        [
            "Destination",
            "Decided",
            "Median working days",
            "90th percentile working days",
            "Time limit (working days)",
            "Within the limit (%)",
        ],
        ["Germany", "3", "10.0", "11.6", "10", "66.7"],
        ["United States of America", "1", "1.0", "1.0", "20", "100.0"],
        ["All", "4", "6.5", "11.4", "10", "75.0"],
    ]
    rows = _csv(client.get(reverse("reports:csv", kwargs={"table": "information-requests"}), period))
    assert rows[-1] == ["All weeks", "4", "2", "50.0"]
    response = client.get(reverse("reports:csv", kwargs={"table": "weekly"}), period)
    assert 'filename="weekly-2025-06-01-2025-06-30.csv"' in response["Content-Disposition"]
    assert _csv(response)[1] == ["2025-05-26", "0", "0"]
    for slug in ("outcomes", "time-by-licence-type", "permits", "recheck-runs"):
        assert client.get(reverse("reports:csv", kwargs={"table": slug}), period).status_code == 200
    assert client.get(reverse("reports:csv", kwargs={"table": "nope"})).status_code == 404


def test_csv_cells_are_never_formulas(permits_set, senior, monkeypatch):
    organisation = permits_set["both"].organisation
    organisation.name = '=HYPERLINK("http://evil.example")'
    organisation.save(update_fields=["name"])
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    rows = _csv(client_for(senior).get(reverse("reports:csv", kwargs={"table": "permits"})))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'
    assert len(rows) == 5


# --- a fixed number of queries ----------------------------------------------------------------------------------


def _fill(n: int, officer, reviewer, version, licence_type, calendar, today: date) -> None:
    for i in range(n):
        started = today - timedelta(days=40 + i % 20)
        case = decided(
            officer,
            started,
            today - timedelta(days=i % 30),
            calendar=calendar,
            destination_country=["DE", "US", "VN"][i % 3],
            licence_type=["single", "general"][i % 2],
            status=[CaseStatus.APPROVED, CaseStatus.REFUSED][i % 2],
        )
        if i % 2:
            ask(case, reviewer)
        p = permit(
            case,
            version,
            licence_type,
            reviewer,
            valid_from=today - timedelta(days=10),
            valid_to=today + timedelta(days=i % 60),
            screened_on=started,
            outcome=["licence_required", "prohibited"][i % 2],
        )
        line(p, reviewer, used=("95", "0.00"))
        run = _run(version, today - timedelta(days=i % 50))
        _finding(run, p, Finding.Direction.STRICTER)


def test_the_page_and_each_download_read_a_fixed_number_of_queries(
    officer, reviewer, senior, version, licence_type, calendar, monkeypatch, django_assert_max_num_queries
):
    today = date(2025, 6, 30)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today)
    client = client_for(senior)
    _fill(5, officer, reviewer, version, licence_type, calendar, today)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200 and response.context["overall"].decided == 5
    assert len(few.captured_queries) <= 12  # the session, the user, their groups and nine reads
    _fill(45, officer, reviewer, version, licence_type, calendar, today)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("reports:dashboard"))
    assert response.context["overall"].decided == 50
    for slug in ("weekly", "time-by-destination", "permits", "recheck-runs"):
        with django_assert_max_num_queries(6):
            assert client.get(reverse("reports:csv", kwargs={"table": slug})).status_code == 200


# --- the reviewer's home ---------------------------------------------------------------------------------------


def test_the_reviewers_home_counts_open_stricter_findings_and_links_the_triage_queue(permits_set, version, reviewer):
    run = _run(version, date(2026, 2, 2))
    _finding(run, permits_set["both"], Finding.Direction.STRICTER)
    _finding(run, permits_set["expiring"], Finding.Direction.STRICTER)
    _finding(run, permits_set["at_ninety"], Finding.Direction.STRICTER, status=Finding.Status.KEPT)
    _finding(run, permits_set["by_value"], Finding.Direction.LOOSER)
    page = client_for(reviewer).get(reverse("review:home")).content.decode()
    assert "2 open stricter findings" in page
    assert f'href="{reverse("rechecks:findings")}"' in page


def test_permit_and_run_rows_lead_to_their_pages(permits_set, version, senior, monkeypatch):
    run = _run(version, date(2026, 2, 20))
    _finding(run, permits_set["both"], Finding.Direction.STRICTER)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    page = client_for(senior).get(reverse("reports:dashboard")).content.decode()
    number = permits_set["both"].number
    assert f'<a href="{reverse("permits:detail", kwargs={"number": number})}">{number}</a>' in page
    assert f'<a href="{reverse("rechecks:run", kwargs={"pk": run.pk})}">{run.pk}</a>' in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert any("Re-check findings by run" in svg for svg in svgs)
