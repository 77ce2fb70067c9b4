"""The case list's faster paths find what the plain search finds: the free-text search as one UNION of case ids
(references, party names, item descriptions, control-code prefixes), the list page's pages read branch by branch
(search.selectors.CaseSearchResults), the capped count (search.pagination), and the indexes they rest on."""

from datetime import date, datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Item, Party
from cases.selectors import cases_visible_to
from search.pagination import CappedPaginator
from search.selectors import SORTS, CaseSearchResults, case_search

from .factories import item_data, make_case, party_data

pytestmark = pytest.mark.django_db


def searched_as_before(user, q: str) -> set[int]:
    """The search as it was written before: reference OR party name OR item description or control code."""
    parties = Party.objects.filter(name__icontains=q).values("case_id")
    items = Item.objects.filter(Q(description__icontains=q) | Q(control_code__istartswith=q)).values("case_id")
    found = cases_visible_to(user).filter(Q(reference__icontains=q) | Q(pk__in=parties) | Q(pk__in=items))
    return set(found.values_list("pk", flat=True))


def submit(case: Case, *, on: date, status: str = "submitted", destination: str | None = None) -> None:
    changes = {"status": status, "submitted_at": timezone.make_aware(datetime.combine(on, datetime.min.time()))}
    if destination:
        changes["destination_country"] = destination
    Case.objects.filter(pk=case.pk).update(**changes)


@pytest.fixture
def register(officer, other_officer):
    """Cases whose lines match the same words in different places, some in two places at once."""
    lines = [
        ([item_data(description="Sintered NdFeB magnets", control_code="1C905.a")], "Stuttgart Antriebstechnik GmbH"),
        ([item_data(description="Holmium oxide", control_code="1C909.a")], "Midwest State University"),
        ([item_data(description="Bonded magnets", control_code="1C902.a")], "Magnetfabrik Bonn GmbH"),
        ([item_data(description="Motor with 1C905 magnets", control_code="")], "Lyon Drive Systems SAS"),
        ([item_data(description="Lamp phosphor", control_code="1c905.b"), item_data()], "Kobe Optics K.K."),
        ([item_data(description="Terbium metal", control_code="1C908.b")], "Magnet Buyer 100123 Ltd"),
    ]
    cases = []
    for n in range(12):
        items, name = lines[n % len(lines)]
        owner = other_officer if n % 5 == 4 else officer
        case = make_case(owner, with_certificate=False, items=items, parties=[party_data(name=name)])
        if n % 3:
            submit(case, on=date(2026, 3, 1 + n), status="submitted" if n % 2 else "approved", destination="US")
        cases.append(case)
    return cases


QUERIES = ["magnet", "MAGNETS", "1C905", "1c9", "1C905.A", "stuttgart", "100123", "oxide", "nothing like it", "%", "_"]


def test_search_finds_what_the_search_found_before(register, officer, reviewer):
    queries = [*QUERIES, register[3].reference, register[3].reference.rsplit("-", 1)[1], "LIC-", "-20"]
    for user in (officer, reviewer):
        for q in queries:
            found = {case.pk for case in case_search(user=user, q=q)}
            assert found == searched_as_before(user, q), (user.username, q)


def page_through(results: CaseSearchResults, per_page: int) -> list[int]:
    paginator = CappedPaginator(results, per_page)
    return [case.pk for number in paginator.page_range for case in paginator.page(number).object_list]


@pytest.mark.parametrize("sort", list(SORTS))
def test_pages_read_branch_by_branch_are_the_search_in_order(register, officer, reviewer, sort):
    for user in (officer, reviewer):
        for q in [*QUERIES, register[7].reference, None]:
            expected = [case.pk for case in case_search(user=user, q=q, sort=sort)]
            results = CaseSearchResults(user=user, q=q, sort=sort)
            assert page_through(results, per_page=2) == expected, (user.username, q, sort)
            assert CappedPaginator(results, 2).count == len(expected)
    # With filters as well: they narrow every branch.
    filters = {"status": "submitted", "destination": "US", "submitted_from": date(2026, 3, 3)}
    expected = [case.pk for case in case_search(user=reviewer, q="magnet", sort=sort, **filters)]
    assert expected
    assert page_through(CaseSearchResults(user=reviewer, q="magnet", sort=sort, **filters), 1) == expected


def test_rows_carry_the_counts_of_their_lines(register, officer):
    [row] = CaseSearchResults(user=officer, q=register[10].reference)[0:25]
    assert (row.item_count, row.party_count, row.organisation.name) == (2, 1, officer.organisation.name)


def test_the_count_stops_at_the_cap_and_says_so(register, officer, monkeypatch):
    mine = case_search(user=officer, q="magnet").count()
    assert mine > 3
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for results in (CaseSearchResults(user=officer, q="magnet"), CaseSearchResults(user=officer)):
        paginator = CappedPaginator(results, 2)
        assert (paginator.count, paginator.capped, paginator.num_pages) == (3, True, 2)
    exact = CappedPaginator(CaseSearchResults(user=officer, q="stuttgart"), 2)
    assert (exact.count, exact.capped) == (case_search(user=officer, q="stuttgart").count(), False)

    client = Client()
    client.force_login(officer)
    page = client.get(reverse("cases:list"), {"q": "magnet"}).content.decode()
    assert "More than 3 cases" in page
    page = client.get(reverse("cases:list"), {"q": "stuttgart"}).content.decode()
    assert "More than" not in page and f"{exact.count} case" in page


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pattern operator class is PostgreSQL's")
def test_migrations_add_the_prefix_and_order_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases_item', 'cases_case')",
        )
        indexes = dict(cursor.fetchall())
    prefix = indexes["cases_item_control_code_prefix"]
    assert "upper((control_code)::text) text_pattern_ops" in prefix and "INCLUDE (case_id, control_code)" in prefix
    assert "submitted_at DESC NULLS LAST, id DESC" in indexes["case_submitted_order_idx"]
    for name in ("case_updated_idx", "case_status_created_idx", "case_destination_created_idx"):
        assert name in indexes
