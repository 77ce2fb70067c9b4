"""Reads for case search: the filtered, sorted case list a person may see, and their saved searches.

The list starts from `cases.selectors.cases_visible_to`, so a search never widens what a user may read: officers
find only their organisation's cases, the authority's staff every submitted one. A free-text search narrows the list
to the ids of one IN subquery, so a case with many matching lines is one row and the page needs no DISTINCT; the
counts of items and parties are subqueries too, so a page is two queries (count and rows) however many cases match.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, Item, Party
from cases.selectors import cases_visible_to

from .models import SavedSearch
from .planning import planned_for_each_run


@dataclass(frozen=True)
class Sort:
    label: object  # lazily translated
    order: tuple


# The orders a list may be sorted by; anything else falls back to the first. Every order ends on the primary key,
# so pages never overlap or skip a case that ties on the sorted field.
SORTS: dict[str, Sort] = {
    "newest": Sort(_("Newest first"), (F("created_at").desc(), F("id").desc())),
    "oldest": Sort(_("Oldest first"), (F("created_at").asc(), F("id").asc())),
    "submitted": Sort(_("Recently submitted"), (F("submitted_at").desc(nulls_last=True), F("id").desc())),
    "updated": Sort(_("Recently updated"), (F("updated_at").desc(), F("id").desc())),
    "reference": Sort(_("Reference"), (F("reference").asc(), F("id").asc())),
    "status": Sort(_("Status"), (F("status").asc(), F("created_at").desc(), F("id").desc())),
    "destination": Sort(_("Destination"), (F("destination_country").asc(), F("created_at").desc(), F("id").desc())),
}
DEFAULT_SORT = "newest"


def _line_count(model) -> Coalesce:
    rows = model.objects.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _matching_ids(q: str) -> list[QuerySet]:
    """The ids of the cases whose reference or a party's name or an item's description holds `q`, or an item's
    control code starts with it, case aside: four queries, each of which PostgreSQL answers through an index of its
    own (the trigram indexes of search/migrations/0002; for control codes the B-tree of 0003, which reads a prefix
    as a range of the index alone)."""
    return [
        Case.objects.filter(reference__icontains=q).order_by().values("pk"),
        Party.objects.filter(name__icontains=q).order_by().values("case_id"),
        Item.objects.filter(description__icontains=q).order_by().values("case_id"),
        Item.objects.filter(control_code__istartswith=q).order_by().values("case_id"),
    ]


def _matches(q: str) -> list[Q]:
    """The same four as conditions on a list of cases."""
    by_reference, *by_lines = _matching_ids(q)
    return [Q(reference__icontains=q), *(Q(pk__in=ids) for ids in by_lines)]


def _start_of(day: date) -> datetime:
    # A range on the timestamp itself (not on its date) lets PostgreSQL use the index on submitted_at.
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(
    *,
    user: User,
    status: str | None = None,
    outcome: str | None = None,
    destination: str | None = None,
    licence_type: str | None = None,
    queue_id: int | None = None,
    assignee_id: int | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
) -> QuerySet[Case]:
    qs = cases_visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if destination:
        qs = qs.filter(destination_country=destination.upper())
    if licence_type:
        qs = qs.filter(licence_type=licence_type)
    if submitted_from:
        qs = qs.filter(submitted_at__gte=_start_of(submitted_from))
    if submitted_to:
        qs = qs.filter(submitted_at__lt=_start_of(submitted_to + timedelta(days=1)))
    if user.is_authenticated and user.reads_all_cases:
        if outcome:
            qs = qs.filter(assignment__outcome=outcome)
        if queue_id:
            qs = qs.filter(assignment__queue_id=queue_id)
        if assignee_id:
            qs = qs.filter(assignment__assigned_to_id=assignee_id)
    return qs


def _listed(qs: QuerySet[Case], *, user: User, sort: str | None) -> QuerySet[Case]:
    """What a row of the list shows, in the order chosen."""
    qs = qs.select_related("organisation", "filed_by")
    if user.is_authenticated and user.reads_all_cases:
        qs = qs.select_related("assignment__queue", "assignment__assigned_to")
    qs = qs.annotate(item_count=_line_count(Item), party_count=_line_count(Party))
    return qs.order_by(*_order(sort))


def _order(sort: str | None) -> tuple:
    return SORTS.get(sort or DEFAULT_SORT, SORTS[DEFAULT_SORT]).order


def case_search(*, user: User, q: str | None = None, sort: str | None = None, **filters: Any) -> QuerySet[Case]:
    """The cases `user` may see that match every filter given; a filter left empty does not narrow the list.
    `filters` are `_filtered`'s keywords (status, outcome, destination, licence_type, queue_id, assignee_id,
    submitted_from, submitted_to): one list of them, which `CaseSearchResults` passes on the same way.

    Queue, assignee and screening outcome are the authority's working data: they narrow only the lists of those
    who read all cases, and are ignored for anyone else. The list page reads its pages through `CaseSearchResults`,
    the same cases found another way; this queryset is the whole list, as the CSV export streams it."""
    qs = _filtered(user=user, **filters)
    if q and (q := q.strip()):
        # One IN over the ids the matches find, as a UNION ALL: each branch reads its own index and PostgreSQL
        # joins the ids to the cases. The same test written as `reference LIKE … OR id IN (…) OR id IN (…)` can use
        # no index on the cases' side and filtered every visible case, 0.1-0.3 s at 100,000 even when nothing
        # matched (docs/benchmarks.md, Search). IN keeps a case found by several branches one row.
        first, *rest = _matching_ids(q)
        qs = qs.filter(pk__in=first.union(*rest, all=True))
    return _listed(qs, user=user, sort=sort)


class CaseSearchResults:
    """The list page's cases, for the pager: Django's Paginator counts and slices any object that can be counted
    and sliced, and this one does both in one statement each, without reading every match of a common word.

    A free-text search is four matches (`_matches`), each with the filters: a page of the list is the first rows,
    in the order chosen, of the four branches' union, and the first N rows of a union are among the first N rows of
    its branches. So each branch is sorted and cut at the page's end on its own, where PostgreSQL picks the best
    plan for that branch alone: for "magnet" (three cases in four) the newest cases in index order until 25 match,
    for a reference the one case the trigram index finds. The count, capped (search.pagination), is the union of the
    branches cut at the cap: if one branch reaches it, so does the union. Found cases and their order are
    `case_search`'s (tests/test_search.py compares them)."""

    ordered = True  # the Paginator warns about unordered lists otherwise

    def __init__(self, *, user: User, q: str | None = None, sort: str | None = None, **filters) -> None:
        self._user, self._sort, self._filters = user, sort, filters
        self._q = q.strip() if q else ""
        # SQLite cannot sort or cut the branches of a UNION: the embedded default reads `case_search` as it is.
        self._by_branch = bool(self._q) and connection.features.supports_slicing_ordering_in_compound

    def _whole(self) -> QuerySet[Case]:
        return case_search(user=self._user, q=self._q, sort=self._sort, **self._filters)

    def _branches(self, *, order: tuple, upto: int) -> list[QuerySet]:
        filtered = _filtered(user=self._user, **self._filters)
        return [filtered.filter(match).order_by(*order).values("pk")[:upto] for match in _matches(self._q)]

    def count_up_to(self, limit: int) -> int:
        """How many cases match, counted no further than `limit` (or a little beyond it)."""
        if not self._by_branch:
            return self._whole().order_by().values("pk")[:limit].count()
        first, *rest = self._branches(order=(), upto=limit)
        with planned_for_each_run():
            return first.union(*rest).count()  # UNION, not UNION ALL: a case found twice counts once

    def __getitem__(self, window: slice) -> list[Case]:
        if not self._by_branch:
            return list(self._whole()[window])
        first, *rest = self._branches(order=_order(self._sort), upto=window.stop)
        found = Case.objects.filter(pk__in=first.union(*rest, all=True))
        with planned_for_each_run():
            return list(_listed(found, user=self._user, sort=self._sort)[window])


def saved_searches_for(*, user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user)


def saved_search_get_for_user(*, user: User, pk: int) -> SavedSearch:
    """The saved search, or 404: another person's saved search answers as if it did not exist."""
    try:
        return SavedSearch.objects.get(pk=pk, user=user)
    except SavedSearch.DoesNotExist:
        raise Http404("No such saved search.") from None
