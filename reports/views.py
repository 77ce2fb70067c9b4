"""The management dashboard and its CSV downloads.

Senior reviewers, auditors and staff only. Anyone else signed in gets 403, not 404: the page is no object whose
existence could leak (its address is the same in every installation and the navigation names it to those who may
open it), and a reviewer told "forbidden" knows to ask for the role instead of reporting a broken link. The
anonymous are sent to the login page by `login_required`."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import charts, selectors, tables
from .forms import PeriodForm

# Spreadsheets run a cell starting with one of these as a formula: a holder's name must arrive as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _require_report_reader(request: HttpRequest) -> None:
    if not selectors.may_see_reports(request.user):
        raise PermissionDenied(_("The management reports are for senior reviewers and auditors."))


def _charts(weekly, outcomes, times, rates, runs) -> dict:
    week_labels = [w.week.isoformat() for w in weekly]
    limit = times.overall.limit
    reference = (_("Time limit: %(days)s working days") % {"days": f"{limit:g}"}, limit) if limit else None

    def time_chart(groups, title):
        return charts.bar_chart(
            title=title,
            desc=_("Median and 90th percentile of working days from submission to decision, pauses excluded."),
            categories=[g.label for g in groups],
            series=[
                charts.Series(_("Median"), [g.median for g in groups]),
                charts.Series(_("90th percentile"), [g.p90 for g in groups]),
            ],
            reference=reference,
        )

    return {
        "weekly": charts.bar_chart(
            title=_("Cases opened and decided per week"),
            desc=_("Cases submitted and cases approved or refused, per week starting on the date shown."),
            categories=week_labels,
            series=[
                charts.Series(_("Opened"), [w.opened for w in weekly]),
                charts.Series(_("Decided"), [w.decided for w in weekly]),
            ],
        ),
        "outcomes": charts.stacked_bar_chart(
            title=_("Screening outcomes per week"),
            desc=_("What screening found on submission, stacked by outcome, per week."),
            categories=[week.isoformat() for week in outcomes.weeks],
            series=[charts.Series(label, counts) for _value, label, counts in outcomes.outcomes],
        ),
        "time-by-destination": time_chart(times.by_destination, _("Time to decision by destination")),
        "time-by-licence-type": time_chart(times.by_licence_type, _("Time to decision by licence type")),
        "information-requests": charts.line_chart(
            title=_("Information-request rate per week"),
            desc=_("Share of the cases decided each week on which the applicant was asked for information, in %."),
            categories=[r.week.isoformat() for r in rates[1]],
            series=[
                charts.Series(_("Rate (%)"), [None if r.share is None else round(100 * r.share, 1) for r in rates[1]])
            ],
        ),
        "recheck-runs": charts.stacked_bar_chart(
            title=_("Re-check findings by run"),
            desc=_("Stricter and looser findings of each re-check run, oldest run first."),
            categories=[f"#{run.pk} {run.created_at:%Y-%m-%d}" for run in runs],
            series=[
                charts.Series(_("Stricter"), [run.stricter for run in runs]),
                charts.Series(_("Looser"), [run.looser for run in runs]),
            ],
        ),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_report_reader(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, today=today)
    start, end = form.period()
    period = {"start": start, "end": end, "today": today}
    weekly = selectors.cases_per_week(**period)
    outcomes = selectors.outcomes_per_week(**period)
    times = selectors.decision_times(**period)
    rates = selectors.information_request_rate(**period)
    permits = selectors.permits_needing_attention(today=today)
    runs = selectors.recheck_findings_by_run(**period)
    chart_of = _charts(weekly, outcomes, times, rates, runs)
    sections = [
        (tables.weekly_table(weekly), chart_of["weekly"]),
        (tables.outcomes_table(outcomes), chart_of["outcomes"]),
        (tables.destination_table(times), chart_of["time-by-destination"]),
        (tables.licence_type_table(times), chart_of["time-by-licence-type"]),
        (tables.requests_table(rates), chart_of["information-requests"]),
        (tables.permits_table(permits), None),
        (tables.runs_table(runs), chart_of["recheck-runs"]),
    ]
    context = {
        "form": form,
        "start": start,
        "end": end,
        "today": today,
        "query": f"start={start.isoformat()}&end={end.isoformat()}",
        "sections": [{"table": table, "chart": chart} for table, chart in sections],
        "overall": times.overall,
        "rate": rates[0],
        "near_expiry_days": selectors.NEAR_EXPIRY_DAYS,
        "near_exhaustion_percent": selectors.near_exhaustion_percent(),
    }
    return render(request, "reports/dashboard.html", context)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@login_required
def table_csv(request: HttpRequest, table: str) -> HttpResponse:
    _require_report_reader(request)
    build = tables.TABLES.get(table)
    if build is None:
        raise Http404("No such table.")
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, today=today)
    if form.is_bound and not form.is_valid():
        messages = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
        return HttpResponseBadRequest("\n".join(messages), content_type="text/plain; charset=utf-8")
    start, end = form.period()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}-{start.isoformat()}-{end.isoformat()}.csv"'
    writer = csv.writer(response)
    # The same file whoever downloads it: column names and labels are a CSV's schema, read by scripts and
    # spreadsheets, so they stay in the site's default language while the page follows the reader's.
    with translation.override(settings.LANGUAGE_CODE):
        result = build(start, end, today)
        writer.writerow([_cell(column) for column in result.columns])
        for row in result.rows:
            writer.writerow([_cell(value) for value in row])
    return response
