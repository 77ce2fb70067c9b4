"""The dashboard's tables: each figure as rows and columns, the same for the page (under its chart) and for the
CSV download, so the file always says what the page said."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import selectors as s


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[object]]
    # Where the first cell of each row leads on the page (e.g. the permit's page); the CSV carries the text only.
    links: list[str] | None = None
    empty: str = _("Nothing to show for this period.")

    @property
    def linked_rows(self) -> list[tuple[str | None, list[object]]]:
        links = self.links or [None] * len(self.rows)
        return list(zip(links, self.rows, strict=True))


def _one(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _whole(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}"


def weekly_table(weeks: list[s.WeekCount]) -> Table:
    return Table(
        "weekly",
        _("Cases opened and decided per week"),
        [_("Week starting"), _("Opened"), _("Decided")],
        [[w.week.isoformat(), w.opened, w.decided] for w in weeks],
    )


def outcomes_table(data: s.OutcomeWeeks) -> Table:
    return Table(
        "outcomes",
        _("Screening outcomes per week"),
        [_("Week starting"), *[label for _value, label, _counts in data.outcomes]],
        [[week.isoformat(), *[counts[i] for _v, _l, counts in data.outcomes]] for i, week in enumerate(data.weeks)]
        if data.outcomes
        else [],
    )


def _decision_rows(groups: list[s.DecisionTimes]) -> list[list[object]]:
    return [
        [g.label, g.decided, _one(g.median), _one(g.p90), _whole(g.limit), _percent(g.within_share)] for g in groups
    ]


def _decision_columns(first: str) -> list[str]:
    return [
        first,
        _("Decided"),
        _("Median working days"),
        _("90th percentile working days"),
        _("Time limit (working days)"),
        _("Within the limit (%)"),
    ]


def destination_table(report: s.DecisionTimeReport) -> Table:
    return Table(
        "time-by-destination",
        _("Time to decision by destination"),
        _decision_columns(_("Destination")),
        _decision_rows([*report.by_destination, report.overall] if report.overall.decided else []),
    )


def licence_type_table(report: s.DecisionTimeReport) -> Table:
    return Table(
        "time-by-licence-type",
        _("Time to decision by licence type"),
        _decision_columns(_("Licence type")),
        _decision_rows([*report.by_licence_type, report.overall] if report.overall.decided else []),
    )


def requests_table(rates: tuple[s.RequestRate, list[s.RequestRate]]) -> Table:
    total, weeks = rates
    rows = [[w.week.isoformat(), w.decided, w.with_request, _percent(w.share)] for w in weeks]
    rows.append([str(_("All weeks")), total.decided, total.with_request, _percent(total.share)])
    return Table(
        "information-requests",
        _("Information-request rate"),
        [_("Week of decision"), _("Decided"), _("With a request for information"), _("Rate (%)")],
        rows,
    )


def permits_table(rows: list[s.PermitAttention]) -> Table:
    return Table(
        "permits",
        _("Permits near expiry or exhaustion"),
        [
            _("Permit"),
            _("Holder"),
            _("Destination"),
            _("Valid to"),
            _("Days left"),
            _("Most used line (%)"),
            _("Near expiry"),
            _("Near exhaustion"),
        ],
        [
            [
                r.permit.number,
                r.permit.organisation.name,
                r.permit.destination_country.code,
                r.permit.valid_to.isoformat(),
                r.days_left,
                _percent(float(r.used_share)),
                str(_("yes")) if r.near_expiry else "",
                str(_("yes")) if r.near_exhaustion else "",
            ]
            for r in rows
        ],
        links=[reverse("permits:detail", kwargs={"number": r.permit.number}) for r in rows],
        # The thresholds the selector applies, not figures written into the text.
        empty=_("No permit in force ends within %(days)s days or has a line %(percent)s %% used.")
        % {"days": s.NEAR_EXPIRY_DAYS, "percent": s.near_exhaustion_percent()},
    )


def runs_table(runs: list) -> Table:
    return Table(
        "recheck-runs",
        _("Re-check findings by run"),
        [
            _("Run"),
            _("Started"),
            _("Trigger"),
            _("Status"),
            _("Permits"),
            _("Stricter"),
            _("Looser"),
            _("Same outcome"),
            _("Stricter still open"),
        ],
        [
            [
                run.pk,
                run.created_at.date().isoformat(),
                str(run.get_trigger_display()),
                str(run.get_status_display()),
                run.total,
                run.stricter,
                run.looser,
                run.same_outcome,
                run.open_stricter,
            ]
            for run in runs
        ],
        links=[reverse("rechecks:run", kwargs={"pk": run.pk}) for run in runs],
    )


# slug → how to read its figure for a period and make its table, for the CSV download of one table.
TABLES: dict[str, Callable[[date, date, date], Table]] = {
    "weekly": lambda start, end, today: weekly_table(s.cases_per_week(start=start, end=end, today=today)),
    "outcomes": lambda start, end, today: outcomes_table(s.outcomes_per_week(start=start, end=end, today=today)),
    "time-by-destination": lambda start, end, today: destination_table(
        s.decision_times(start=start, end=end, today=today)
    ),
    "time-by-licence-type": lambda start, end, today: licence_type_table(
        s.decision_times(start=start, end=end, today=today)
    ),
    "information-requests": lambda start, end, today: requests_table(
        s.information_request_rate(start=start, end=end, today=today)
    ),
    "permits": lambda start, end, today: permits_table(s.permits_needing_attention(today=today)),
    "recheck-runs": lambda start, end, today: runs_table(s.recheck_findings_by_run(start=start, end=end, today=today)),
}
