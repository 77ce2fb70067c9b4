"""Reads. Every read of a case by a person goes through `case_get_for_user` or `case_list_for_user`, which
answer only what the user may see: officers their organisation's cases, reviewers and auditors every case
that has been submitted."""

from collections.abc import Iterable
from contextlib import AbstractContextManager

from django.db import connection
from django.db.models import Count, Model, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django_countries.fields import Country

import config.lookups  # noqa: F401  (registers __any_of on foreign keys)
from accounts.models import Organisation, User
from config.compiled_reads import CompiledRead, instance_from, model_columns
from config.handoff import Handoff

from .models import Case, Document, Item, ItemContent, ItemElement, Party, PartyOwner
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


def _rows_of(model: type[Model], **lookups: object) -> CompiledRead:
    # Every row of `model` belonging to one case, in the model's own order (that of the prefetch in with_facts).
    return CompiledRead(
        lambda case_id: model.objects.filter(**{lookups["by"]: case_id}).values_list(*model_columns(model)),
        case_id=-1,
    )


def _rows_under(model: type[Model], parent_field: str) -> CompiledRead:
    # Every row of `model` whose parent is one of `parent_ids`, in the model's own order: PostgreSQL only (see
    # config/lookups.py for why rows two levels below the case are read this way there).
    attname = model._meta.get_field(parent_field).attname
    return CompiledRead(
        lambda parent_ids: model.objects.filter(**{f"{attname}__any_of": parent_ids}).values_list(
            *model_columns(model)
        ),
        parent_ids=[-1],
    )


# A case's facts, read by case id: the same rows `with_facts` prefetches, in six compiled reads (see
# config/compiled_reads.py) instead of six prefetch queries, which cost more to build than to answer.
_FACT_READS = {
    Item: _rows_of(Item, by="case_id"),
    ItemElement: _rows_of(ItemElement, by="item__case_id"),
    ItemContent: _rows_of(ItemContent, by="item__case_id"),
    Party: _rows_of(Party, by="case_id"),
    PartyOwner: _rows_of(PartyOwner, by="party__case_id"),
    Document: _rows_of(Document, by="case_id"),
}
# On PostgreSQL the rows two levels down are read by their parents' ids, which the caller holds already.
_FACT_READS_UNDER = {
    ItemElement: _rows_under(ItemElement, "item"),
    ItemContent: _rows_under(ItemContent, "item"),
    PartyOwner: _rows_under(PartyOwner, "party"),
}


def _read(model: type[Model], case: Case) -> list:
    return [instance_from(model, row) for row in _FACT_READS[model].rows(case_id=case.pk)]


def _read_under(model: type[Model], case: Case, parents: list[Model]) -> list:
    if not parents:
        return []
    if connection.vendor != "postgresql":
        return _read(model, case)
    rows = _FACT_READS_UNDER[model].rows(parent_ids=[parent.pk for parent in parents])
    return [instance_from(model, row) for row in rows]


def _children(model: type[Model], parent_field: str, case: Case, parents: list[Model], relation: str) -> None:
    # Each parent gets its own rows (as `relation`), and each row its parent, as prefetch_related leaves them.
    by_parent: dict[int, list[Model]] = {parent.pk: [] for parent in parents}
    field = model._meta.get_field(parent_field)
    parent_of = {parent.pk: parent for parent in parents}
    for row in _read_under(model, case, parents):
        parent_id = getattr(row, field.attname)
        field.set_cached_value(row, parent_of[parent_id])
        by_parent[parent_id].append(row)
    for parent in parents:
        remember_related(parent, relation, by_parent[parent.pk])


def _held_by_case(model: type[Model], case: Case, relation: str) -> list[Model]:
    rows = _read(model, case)
    field = model._meta.get_field("case")
    for row in rows:
        field.set_cached_value(row, case)
    remember_related(case, relation, rows)
    return rows


def load_facts(case: Case) -> Case:
    """Give a case read without its facts the same facts `with_facts` loads; facts it holds already stay."""
    held = getattr(case, "_prefetched_objects_cache", {})
    if "items" not in held:
        items = _held_by_case(Item, case, "items")
        _children(ItemElement, "item", case, items, "elements")
        _children(ItemContent, "item", case, items, "content")
    if "parties" not in held:
        parties = _held_by_case(Party, case, "parties")
        _children(PartyOwner, "party", case, parties, "owners")
    if "documents" not in held:
        _held_by_case(Document, case, "documents")
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


_CASE_COLUMNS = (
    *model_columns(Case),
    *model_columns(Organisation, "organisation__"),
    *model_columns(User, "filed_by__"),
)
_REFERENCE = "\x00placeholder-reference"

# The case by reference, with its organisation and filer (the answer shows them, the audit trail records them),
# among the cases each kind of reader `cases_visible_to` knows may see: officers, readers of every submitted case,
# and people who are both.
_CASE_READS = {
    (True, False): CompiledRead(
        lambda reference, organisation_id: (
            Case.objects.filter(reference=reference, organisation_id=organisation_id)
            .order_by()
            .values_list(*_CASE_COLUMNS)
        ),
        reference=_REFERENCE,
        organisation_id=-1,
    ),
    (False, True): CompiledRead(
        lambda reference: (
            Case.objects.filter(reference=reference)
            .exclude(status=CaseStatus.DRAFT)
            .order_by()
            .values_list(*_CASE_COLUMNS)
        ),
        reference=_REFERENCE,
    ),
    (True, True): CompiledRead(
        lambda reference, organisation_id: (
            Case.objects.filter(Q(organisation_id=organisation_id) | ~Q(status=CaseStatus.DRAFT), reference=reference)
            .order_by()
            .values_list(*_CASE_COLUMNS)
        ),
        reference=_REFERENCE,
        organisation_id=-1,
    ),
}


def case_get_for_user(*, user: User, reference: str, facts: bool = True) -> Case:
    """The case, or 404 — the same answer whether it does not exist or belongs to someone else.

    The same cases as `cases_visible_to(user).get(reference=...)`, read by a compiled query: every case
    endpoint starts here."""
    readable = user.is_authenticated and user.is_active
    officer = readable and user.is_officer and user.organisation_id is not None
    shape = (officer, readable and user.reads_all_cases)
    if shape not in _CASE_READS:
        raise Http404("No such case.")
    rows = _CASE_READS[shape].rows(
        reference=reference, **({"organisation_id": user.organisation_id} if officer else {})
    )
    if not rows:
        raise Http404("No such case.")
    row = rows[0]
    case = instance_from(Case, row)
    width = len(Case._meta.concrete_fields)
    Case._meta.get_field("organisation").set_cached_value(case, instance_from(Organisation, row, width))
    width += len(Organisation._meta.concrete_fields)
    Case._meta.get_field("filed_by").set_cached_value(case, instance_from(User, row, width))
    if facts:
        load_facts(case)
    return case


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
_offered_facts: Handoff[tuple[int, int, dict[str, list], list[Case]]] = Handoff("offered_facts")


def offering_facts(
    *, case_id: int, version: int, facts: dict[str, list], taken: list[Case] | None = None
) -> AbstractContextManager:
    return _offered_facts.offering((case_id, version, facts, [] if taken is None else taken))


# Every screening locks its case: compiled once (config/compiled_reads.py), in the transaction of the first
# screening (a locking read compiles only inside one).
_LOCK_FOR_SCREENING = CompiledRead(
    lambda case_id: (
        Case.objects.filter(pk=case_id)
        .select_for_update(of=("self",))
        .order_by()
        .values_list(*model_columns(Case), *model_columns(Organisation, "organisation__"))
    ),
    case_id=-1,
)


def case_lock_for_screening(*, case_id: int) -> Case:
    """The case, its row locked until the transaction ends, with the facts a case document needs: those a
    submission offers for this very version of the case (see `offering_facts`), otherwise read."""
    from django.db import connection
    from django.db.transaction import TransactionManagementError

    if connection.get_autocommit():
        # The ORM refuses a locking read outside a transaction, where the lock would end with the statement; the
        # compiled read checks it only when it compiles, so every call checks it here.
        raise TransactionManagementError("case_lock_for_screening locks the case: call it inside a transaction.")
    rows = _LOCK_FOR_SCREENING.rows(case_id=case_id)
    if not rows:
        raise Case.DoesNotExist(f"No case {case_id}.")
    case = instance_from(Case, rows[0])
    Case._meta.get_field("organisation").set_cached_value(
        case, instance_from(Organisation, rows[0], len(Case._meta.concrete_fields))
    )
    offered = _offered_facts.offered()
    if offered is not None and offered[:2] == (case.pk, case.version):
        offered[3].append(case)
        return hold_facts(case, offered[2])
    prefetch_related_objects([case], *_fact_lookups()[:2])  # items and parties; documents are not screened
    return case


def user_may_see_case(*, user: User, case: Case) -> bool:
    """Whether `case_get_for_user` would give `user` this case: the same rule as `cases_visible_to`, for a case
    already in hand (a page deciding whether to link to it)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_officer and user.organisation_id == case.organisation_id:
        return True
    return user.reads_all_cases and case.status != CaseStatus.DRAFT


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
