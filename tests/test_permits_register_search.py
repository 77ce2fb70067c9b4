"""The permit register's search as one UNION of permit ids finds what the OR across joins found, one row per
permit, and the migration gives it its indexes."""

from datetime import date

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q

from permits.selectors import PermitRegisterPages, permit_register, permit_visible_to

from .factories import item_data, party_data
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


def searched_as_before(user, term: str) -> list[int]:
    found = permit_visible_to(user).filter(
        Q(number__icontains=term)
        | Q(case__reference__icontains=term)
        | Q(end_user_name__icontains=term)
        | Q(items__control_code__icontains=term)
    )
    return list(found.distinct().order_by("-issued_at", "-id").values_list("pk", flat=True))


@pytest.fixture
def permits(db, officer, other_officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    two_lines = [item_data(control_code="1C905.a"), item_data(description="Second magnet line", control_code="1C905.b")]
    return [
        issue(screened_case(officer, django_capture_on_commit_callbacks, items=two_lines), reviewer),
        issue(
            screened_case(
                other_officer,
                django_capture_on_commit_callbacks,
                destination_country="FR",
                items=[item_data(control_code="1C906")],
                parties=[party_data(name="Lyon Moteurs SAS", country="FR")],
            ),
            reviewer,
            valid_from=date(2026, 6, 1),
            validity_days=30,
        ),
    ]


def test_register_search_finds_what_it_found_before(permits, officer, reviewer):
    mine, theirs = permits
    terms = [
        mine.number,
        theirs.number.lower(),
        theirs.case.reference,
        theirs.case.reference.rsplit("-", 1)[1],
        "lyon",
        "1c905",
        "905.B",
        "1C90",
        "stuttgart",
        "no such permit",
        "%",
    ]
    for user in (officer, reviewer):
        for term in terms:
            found = [p.pk for p in permit_register(user=user, search=term)]
            assert found == searched_as_before(user, term), (user.username, term)
    # Two matching lines, one row.
    assert [p.pk for p in permit_register(user=reviewer, search="1C905")] == [mine.pk]
    assert [p.pk for p in permit_register(user=reviewer, control_code="1c905.B")] == [mine.pk]


def test_pages_chosen_by_id_first_are_the_register_in_order(permits, officer, reviewer):
    for user in (officer, reviewer):
        for filters in ({}, {"search": "1C90"}, {"destination": "FR"}, {"search": "no such permit"}):
            expected = list(permit_register(user=user, **filters))
            paginator = Paginator(PermitRegisterPages(permit_register(user=user, **filters)), 1)
            pages = [paginator.page(n).object_list for n in paginator.page_range] if expected else [[]]
            assert [p.pk for page in pages for p in page] == [p.pk for p in expected]
            assert paginator.count == len(expected)
    [first] = Paginator(PermitRegisterPages(permit_register(user=reviewer, search="1C905")), 1).page(1).object_list
    # Shown with their holder, case and lines, loaded with the page.
    assert (first.organisation.name, first.case.reference) == (officer.organisation.name, permits[0].case.reference)
    assert sorted(item.control_code for item in first.items.all()) == ["1C905.a", "1C905.b"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_migration_adds_the_register_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'permits_permit%%'")
        indexes = dict(cursor.fetchall())
    for name, column in [
        ("permits_permit_number_trgm", "number"),
        ("permits_permit_end_user_name_trgm", "end_user_name"),
        ("permits_permititem_control_code_trgm", "control_code"),
    ]:
        assert f"upper(({column})::text) gin_trgm_ops" in indexes[name]
    assert "issued_at DESC, id DESC" in indexes["permit_issued_idx"]
