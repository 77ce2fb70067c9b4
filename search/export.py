"""CSV export of a case list: the rows a search answers, streamed so a long list never sits in memory."""

import csv
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cases.models import Case

# Spreadsheets run a cell that starts with one of these as a formula; a party name such as "=HYPERLINK(...)" must
# arrive as text (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 500


class _Echo:
    """A file-like object whose write hands back the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _assignment(case: Case):
    try:
        return case.assignment
    except Case.assignment.RelatedObjectDoesNotExist:
        return None


def case_csv_rows(cases: Iterable[Case], *, staff: bool) -> Iterator[str]:
    # A CSV is read by scripts and spreadsheets across the office: its column names and labels are its schema, so
    # they are the site's default language whoever downloads it (the pages follow the reader's language).
    with translation.override(settings.LANGUAGE_CODE):
        yield from _case_csv_rows(cases, staff=staff)


def _case_csv_rows(cases: Iterable[Case], *, staff: bool) -> Iterator[str]:
    writer = csv.writer(_Echo())
    header = [
        _("Reference"),
        _("Status"),
        _("Organisation"),
        _("Destination"),
        _("Licence type"),
        _("Items"),
        _("Parties"),
        _("Filed by"),
        _("Created"),
        _("Submitted"),
    ]
    if staff:
        header += [_("Screening outcome"), _("Queue"), _("Assigned to")]
    yield writer.writerow(header)
    for case in cases:
        row = [
            case.reference,
            case.get_status_display(),
            case.organisation.name,
            case.destination_country.code,
            case.get_licence_type_display(),
            case.item_count,
            case.party_count,
            case.filed_by.username,
            case.created_at.isoformat(timespec="seconds"),
            case.submitted_at.isoformat(timespec="seconds") if case.submitted_at else "",
        ]
        if staff:
            assignment = _assignment(case)
            row += [
                assignment.get_outcome_display() if assignment else "",
                assignment.queue.name if assignment and assignment.queue else "",
                assignment.assigned_to.username if assignment and assignment.assigned_to else "",
            ]
        yield writer.writerow([_cell(v) for v in row])


def chunked(qs) -> Iterator[Case]:
    # A server-side cursor on PostgreSQL: rows arrive CHUNK at a time while the response is written.
    return qs.iterator(chunk_size=CHUNK)
