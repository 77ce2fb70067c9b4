"""Reads. Every read of a case by a person goes through `case_get_for_user` or `case_list_for_user`, which
answer only what the user may see: officers their organisation's cases, reviewers and auditors every case
that has been submitted."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Count, Model, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django_countries.fields import Country

from accounts.models import User

from .models import Case, Item, Party
from .vocab import CaseStatus


def cases_visible_to(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    visible = Q(pk__in=[])
    if user.is_officer:
        visible |= Q(organisation_id=user.organisation_id)
    if user.reads_all_cases:
        visible |= ~Q(status=CaseStatus.DRAFT)
    return Case.objects.filter(visible)


def case_list_for_user(
    *, user: User, status: str | None = None, query: str | None = None, destination: str | None = None
) -> QuerySet[Case]:
    qs = (
        cases_visible_to(user)
        .select_related("organisation", "filed_by")
        .annotate(item_count=Count("items", distinct=True), party_count=Count("parties", distinct=True))
    )
    if status:
        qs = qs.filter(status=status)
    if destination:
        qs = qs.filter(destination_country=destination.upper())
    if query:
        query = query.strip()
        qs = qs.filter(
            Q(reference__icontains=query)
            | Q(parties__name__icontains=query)
            | Q(items__description__icontains=query)
            | Q(items__control_code__iexact=query)
        ).distinct()
    return qs.order_by("-created_at", "-id")


def _fact_lookups() -> tuple:
    return (
        Prefetch("items", queryset=Item.objects.prefetch_related("elements", "content")),
        Prefetch("parties", queryset=Party.objects.prefetch_related("owners")),
        "documents",
    )


def with_facts(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Everything case_document() reads, in a fixed number of queries."""
    return qs.select_related("organisation", "filed_by").prefetch_related(*_fact_lookups())


def load_facts(case: Case) -> Case:
    """Give a case read without its facts the same facts `with_facts` loads; facts it holds already stay."""
    prefetch_related_objects([case], *_fact_lookups())
    return case


def remember_related(instance: Model, name: str, objects: Iterable[Model]) -> None:
    """Make `instance.<name>.all()` answer `objects` without a query, as prefetch_related would have.

    For rows a service has just written and holds in memory: the answer and the audit snapshot are built from
    them instead of reading back what was written a moment ago. This is the cache prefetch_related fills."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(name, None)  # otherwise the manager would hand back the old cached queryset
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    cache[name] = queryset


def case_get_for_user(*, user: User, reference: str, facts: bool = True) -> Case:
    """The case, or 404 — the same answer whether it does not exist or belongs to someone else."""
    # Organisation and filer are joined either way: the answer shows them and the audit trail records them.
    qs = cases_visible_to(user).select_related("organisation", "filed_by")
    if facts:
        qs = with_facts(qs)
    try:
        return qs.get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def facts_held(case: Case) -> dict[str, list]:
    """The related rows `case` holds in memory (prefetched or remembered), by relation name."""
    return {name: list(queryset) for name, queryset in getattr(case, "_prefetched_objects_cache", {}).items()}


def hold_facts(case: Case, facts: dict[str, list]) -> Case:
    """Give `case` these related rows (as `facts_held` returns them) in place of any it holds."""
    for name, objects in facts.items():
        remember_related(case, name, objects)
    return case


def case_reread_for_user(*, user: User, case: Case) -> Case:
    """The case as stored now, read again through `case_get_for_user` after an action that changes only its
    header (status, version, times), such as a submission and the screening that follows it: one query for
    the header, with the facts `case` holds carried over instead of read again."""
    fresh = case_get_for_user(user=user, reference=case.reference, facts=False)
    return hold_facts(fresh, facts_held(case))


# The facts a submission has just loaded, offered to the screening it starts for as long as it starts it. With
# tasks run in-process (the embedded default) the screening runs right then and takes them instead of reading
# them again; with a worker it runs elsewhere and reads them. Keyed by the case's version after submission: a
# submitted case's facts can no longer change, and any other change to the case moves its version on.
# `taken` receives the case the screening took them for, so the submission can answer with the header the
# screening left (see case_submit).
_offered_facts: ContextVar[tuple[int, int, dict[str, list], list[Case]] | None] = ContextVar(
    "offered_facts", default=None
)


@contextmanager
def offering_facts(
    *, case_id: int, version: int, facts: dict[str, list], taken: list[Case] | None = None
) -> Iterator[None]:
    token = _offered_facts.set((case_id, version, facts, [] if taken is None else taken))
    try:
        yield
    finally:
        _offered_facts.reset(token)


def case_lock_for_screening(*, case_id: int) -> Case:
    """The case, its row locked until the transaction ends, with the facts a case document needs: those a
    submission offers for this very version of the case (see `offering_facts`), otherwise read."""
    case = Case.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case_id)
    offered = _offered_facts.get()
    if offered is not None and offered[:2] == (case.pk, case.version):
        offered[3].append(case)
        return hold_facts(case, offered[2])
    prefetch_related_objects([case], *_fact_lookups()[:2])  # items and parties; documents are not screened
    return case


def user_may_edit_case(*, user: User, case: Case) -> bool:
    return user.is_officer and user.organisation_id == case.organisation_id


def case_items_data(case: Case) -> list[dict]:
    """The case's item lines as the flat dicts `case_save_draft` takes, composition included.

    A browser page that edits one part of a case (the item lines, or one item's composition) sends the rest back
    unchanged from here, because saving replaces the whole list. Needs a case loaded with `with_facts`."""
    from .services import CONTENT_FIELDS, ELEMENT_FIELDS, ITEM_FIELDS

    return [
        {
            **{f: plain_value(getattr(item, f)) for f in ITEM_FIELDS},
            "elements": [{f: plain_value(getattr(e, f)) for f in ELEMENT_FIELDS} for e in item.elements.all()],
            "content": [{f: plain_value(getattr(c, f)) for f in CONTENT_FIELDS} for c in item.content.all()],
        }
        for item in case.items.all()
    ]


def case_parties_data(case: Case) -> list[dict]:
    """The case's parties as the flat dicts `case_save_draft` takes, owners included (see case_items_data)."""
    from .services import OWNER_FIELDS, PARTY_FIELDS

    return [
        {
            **{f: plain_value(getattr(party, f)) for f in PARTY_FIELDS},
            "owners": [{f: plain_value(getattr(o, f)) for f in OWNER_FIELDS} for o in party.owners.all()],
        }
        for party in case.parties.all()
    ]


def plain_value(value):
    """A model attribute as a form or service takes it."""
    # Country fields read back as Country objects; forms and services take the two-letter code.
    if isinstance(value, Country):
        return value.code or ""
    return value
