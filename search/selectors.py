"""Reads for case search: the filtered, sorted case list a person may see, and their saved searches.

The list starts from `cases.selectors.cases_visible_to`, so a search never widens what a user may read: officers
find only their organisation's cases, the authority's staff every submitted one. Matching on parties and items
uses IN subqueries rather than joins, so a case with many matching lines is one row and the page needs no
DISTINCT; the counts of items and parties are subqueries too, so a page is two queries (count and rows) however
many cases match.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, Item, Party
from cases.selectors import cases_visible_to

from .models import SavedSearch


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


def _start_of(day: date) -> datetime:
    # A range on the timestamp itself (not on its date) lets PostgreSQL use the index on submitted_at.
    return timezone.make_aware(datetime.combine(day, time.min))


def case_search(
    *,
    user: User,
    q: str | None = None,
    status: str | None = None,
    outcome: str | None = None,
    destination: str | None = None,
    licence_type: str | None = None,
    queue_id: int | None = None,
    assignee_id: int | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
    sort: str | None = None,
) -> QuerySet[Case]:
    """The cases `user` may see that match every filter given; a filter left empty does not narrow the list.

    Queue, assignee and screening outcome are the authority's working data: they narrow only the lists of those
    who read all cases, and are ignored for anyone else."""
    qs = cases_visible_to(user).select_related("organisation", "filed_by")
    staff = user.is_authenticated and user.reads_all_cases
    if staff:
        qs = qs.select_related("assignment__queue", "assignment__assigned_to")
    if q and (q := q.strip()):
        # Uncorrelated IN subqueries: PostgreSQL runs each once (through the trigram indexes of
        # search/migrations/0002) and probes its hash per case, where EXISTS inside an OR would run per case.
        parties = Party.objects.filter(name__icontains=q).values("case_id")
        items = Item.objects.filter(Q(description__icontains=q) | Q(control_code__istartswith=q)).values("case_id")
        qs = qs.filter(Q(reference__icontains=q) | Q(pk__in=parties) | Q(pk__in=items))
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
    if staff:
        if outcome:
            qs = qs.filter(assignment__outcome=outcome)
        if queue_id:
            qs = qs.filter(assignment__queue_id=queue_id)
        if assignee_id:
            qs = qs.filter(assignment__assigned_to_id=assignee_id)
    qs = qs.annotate(item_count=_line_count(Item), party_count=_line_count(Party))
    return qs.order_by(*SORTS.get(sort or DEFAULT_SORT, SORTS[DEFAULT_SORT]).order)


def saved_searches_for(*, user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user)


def saved_search_get_for_user(*, user: User, pk: int) -> SavedSearch:
    """The saved search, or 404: another person's saved search answers as if it did not exist."""
    try:
        return SavedSearch.objects.get(pk=pk, user=user)
    except SavedSearch.DoesNotExist:
        raise Http404("No such saved search.") from None
