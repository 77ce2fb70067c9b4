"""Reads. Every read of a case by a person goes through `case_get_for_user` or `case_list_for_user`, which
answer only what the user may see: officers their organisation's cases, reviewers and auditors every case
that has been submitted."""

from django.db.models import Count, Prefetch, Q, QuerySet
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


def with_facts(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Everything case_document() reads, in a fixed number of queries."""
    return qs.select_related("organisation", "filed_by").prefetch_related(
        Prefetch("items", queryset=Item.objects.prefetch_related("elements", "content")),
        Prefetch("parties", queryset=Party.objects.prefetch_related("owners")),
        "documents",
    )


def case_get_for_user(*, user: User, reference: str, facts: bool = True) -> Case:
    """The case, or 404 — the same answer whether it does not exist or belongs to someone else."""
    qs = cases_visible_to(user)
    if facts:
        qs = with_facts(qs)
    try:
        return qs.get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


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
