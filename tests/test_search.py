"""Case search: search, filters, sorting and pages of the case list; saved searches; the CSV export."""

import csv
import io
from datetime import date, datetime
from urllib.parse import parse_qs

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case
from cases.vocab import CaseStatus
from review.models import CaseAssignment, Queue
from search.models import SavedSearch
from search.selectors import case_search

from .factories import item_data, make_case, make_organisation, make_user, party_data

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submitted(case: Case, *, on: date, status: str = CaseStatus.SUBMITTED) -> Case:
    # Test data: a case as it stands after submission, without running the screening the workflow would start.
    Case.objects.filter(pk=case.pk).update(
        status=status, submitted_at=timezone.make_aware(datetime.combine(on, datetime.min.time()))
    )
    case.refresh_from_db()
    return case


def references(response) -> list[str]:
    return [case.reference for case in response.context["page"].object_list]


@pytest.fixture
def magnets(officer):
    return make_case(
        officer,
        with_certificate=False,
        items=[item_data(description="Sintered NdFeB magnets", control_code="1C905.a")],
        parties=[party_data(name="Stuttgart Antriebstechnik GmbH", country="DE")],
    )


@pytest.fixture
def oxide(officer):
    return make_case(
        officer,
        with_certificate=False,
        destination_country="US",
        licence_type="general",
        items=[item_data(description="Holmium oxide powder", control_code="1C908.c", elements=[])],
        parties=[party_data(name="Midwest State University", country="US")],
    )


@pytest.fixture
def foreign(other_officer):
    return make_case(
        other_officer,
        with_certificate=False,
        items=[item_data(description="Sintered NdFeB magnets")],
        parties=[party_data(name="Stuttgart Antriebstechnik GmbH")],
    )


# --- search and filters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("stuttgart", {"magnets"}),  # party name, any case
        ("holmium", {"oxide"}),  # item description
        ("1C905", {"magnets"}),  # control code, by its start
        ("1c908.C", {"oxide"}),
        ("nothing like it", set()),
    ],
)
def test_search_finds_cases_by_party_item_and_control_code(officer, magnets, oxide, foreign, q, expected):
    names = {magnets.reference: "magnets", oxide.reference: "oxide"}
    found = {names.get(ref, ref) for ref in references(client_for(officer).get(reverse("cases:list"), {"q": q}))}
    # The other organisation's case matches "stuttgart" too, but is never found by this officer.
    assert found == expected


def test_search_by_reference_and_one_row_per_case(officer):
    case = make_case(
        officer,
        with_certificate=False,
        items=[item_data(description="Magnet A"), item_data(description="Magnet B")],
        parties=[party_data(name="Magnet buyer"), party_data(name="Magnet consignee", role="consignee")],
    )
    assert references(client_for(officer).get(reverse("cases:list"), {"q": case.reference})) == [case.reference]
    # Two matching items and two matching parties still make one row, with the true counts.
    response = client_for(officer).get(reverse("cases:list"), {"q": "magnet"})
    [row] = response.context["page"].object_list
    assert (row.item_count, row.party_count) == (2, 2)


def test_filters_status_destination_licence_type_and_submitted_dates(officer, magnets, oxide):
    submitted(magnets, on=date(2026, 3, 10))
    submitted(oxide, on=date(2026, 3, 20), status=CaseStatus.APPROVED)
    draft = make_case(officer, with_certificate=False)
    client = client_for(officer)

    def found(**params) -> set[str]:
        return set(references(client.get(reverse("cases:list"), params)))

    assert found(status="draft") == {draft.reference}
    assert found(status="approved") == {oxide.reference}
    assert found(destination="US") == {oxide.reference}
    assert found(licence_type="general") == {oxide.reference}
    assert found(submitted_from="2026-03-10", submitted_to="2026-03-10") == {magnets.reference}
    assert found(submitted_from="2026-03-11") == {oxide.reference}
    assert found(submitted_to="2026-03-19") == {magnets.reference}
    # A range that ends before it starts is an error beside the field; the other filters still apply.
    response = client.get(reverse("cases:list"), {"submitted_from": "2026-04-01", "submitted_to": "2026-03-01"})
    assert "submitted_to" in response.context["filter_form"].errors
    assert set(references(response)) == {magnets.reference, oxide.reference, draft.reference}


def test_staff_filter_by_queue_assignee_and_outcome_officers_cannot(officer, reviewer, magnets, oxide):
    submitted(magnets, on=date(2026, 3, 10))
    submitted(oxide, on=date(2026, 3, 11))
    queue = Queue.objects.create(name="Magnets desk", slug="magnets")
    other_queue = Queue.objects.create(name="Oxides desk", slug="oxides")
    CaseAssignment.objects.create(case=magnets, queue=queue, outcome="case_by_case", assigned_to=reviewer)
    CaseAssignment.objects.create(case=oxide, queue=other_queue, outcome="licence_required")
    staff = client_for(reviewer)
    assert references(staff.get(reverse("cases:list"), {"queue": queue.pk})) == [magnets.reference]
    assert references(staff.get(reverse("cases:list"), {"assignee": reviewer.pk})) == [magnets.reference]
    assert references(staff.get(reverse("cases:list"), {"outcome": "licence_required"})) == [oxide.reference]
    page = staff.get(reverse("cases:list")).content.decode()
    assert "Magnets desk" in page and 'name="queue"' in page
    # Queues and assignees are the authority's working data: an officer neither sees nor filters by them.
    response = client_for(officer).get(reverse("cases:list"), {"queue": other_queue.pk, "outcome": "licence_required"})
    assert set(references(response)) == {magnets.reference, oxide.reference}
    assert 'name="queue"' not in response.content.decode()


def test_reviewers_never_see_drafts_and_officers_only_their_organisation(officer, reviewer, magnets, foreign):
    submitted(foreign, on=date(2026, 3, 1))
    assert references(client_for(reviewer).get(reverse("cases:list"))) == [foreign.reference]
    assert references(client_for(officer).get(reverse("cases:list"))) == [magnets.reference]


def test_sorting(officer):
    a = make_case(officer, with_certificate=False, destination_country="US")
    b = make_case(officer, with_certificate=False, destination_country="DE")
    c = make_case(officer, with_certificate=False, destination_country="JP")
    submitted(a, on=date(2026, 1, 5))
    submitted(c, on=date(2026, 2, 5))
    client = client_for(officer)

    def order(sort: str) -> list[str]:
        return references(client.get(reverse("cases:list"), {"sort": sort}))

    assert order("newest") == [c.reference, b.reference, a.reference]
    assert order("oldest") == [a.reference, b.reference, c.reference]
    assert order("reference") == sorted([a.reference, b.reference, c.reference])
    assert order("destination") == [b.reference, c.reference, a.reference]
    assert order("submitted") == [c.reference, a.reference, b.reference]  # never submitted last
    # An unknown order is the default, not an error.
    assert order("drop table") == order("newest")


def _many_cases(officer, reviewer, n: int) -> None:
    queue = Queue.objects.get_or_create(name="Main", slug="main")[0]
    for i in range(n):
        case = make_case(
            officer,
            with_certificate=False,
            items=[item_data(), item_data(description=f"Magnet {i}")],
            parties=[party_data(name=f"Buyer {i}")],
        )
        submitted(case, on=date(2026, 3, 1))
        CaseAssignment.objects.create(case=case, queue=queue, outcome="licence_required", assigned_to=reviewer)


PAGE_QUERIES = {"officer": 7, "reviewer": 8}
EXPORT_QUERIES = 4


@pytest.mark.parametrize("n", [5, 50])
@pytest.mark.parametrize("who", ["officer", "reviewer"])
def test_list_pages_cost_a_constant_number_of_queries(officer, reviewer, who, n, django_assert_max_num_queries):
    _many_cases(officer, reviewer, n)
    user = {"officer": officer, "reviewer": reviewer}[who]
    SavedSearch.objects.create(user=user, name="Mine", query="q=magnet")
    client = client_for(user)
    params = {"q": "magnet", "status": "submitted", "sort": "reference", "page": 2 if n > 25 else 1}
    # Session, user, roles, saved searches, count, rows; for staff the queue and reviewer choices too.
    with django_assert_max_num_queries(PAGE_QUERIES[who]):
        response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(n, 25)
    # The export is every matching case: session, user, roles and the rows (a server-side cursor on PostgreSQL).
    with django_assert_max_num_queries(EXPORT_QUERIES):
        response = client.get(reverse("search:export"), params)
        rows = _csv(response)
    assert len(rows) == n + 1


def test_selector_never_widens_visibility(officer, other_officer, magnets, foreign):
    assert list(case_search(user=other_officer, q=magnets.reference)) == []
    assert [c.reference for c in case_search(user=officer, q="stuttgart")] == [magnets.reference]


# --- saved searches ------------------------------------------------------------------------------------------------


def test_save_open_list_and_delete_a_search(officer, magnets, oxide):
    client = client_for(officer)
    response = client.post(
        reverse("search:saved-create"), {"name": "US general", "query": "destination=US&licence_type=general&junk=1"}
    )
    saved = SavedSearch.objects.get(user=officer)
    # Only the search form's own valid filters are kept.
    assert parse_qs(saved.query) == {"destination": ["US"], "licence_type": ["general"]}
    assert response["Location"] == reverse("cases:list") + "?" + saved.query
    assert AuditEvent.objects.filter(verb="search.saved", target_id=str(saved.pk)).exists()

    opened = client.get(reverse("search:saved-open", kwargs={"pk": saved.pk}), follow=True)
    assert references(opened) == [oxide.reference]
    listed = client.get(reverse("search:saved"))
    assert "US general" in listed.content.decode()
    assert "US general" in client.get(reverse("cases:list")).content.decode()

    client.post(reverse("search:saved-delete", kwargs={"pk": saved.pk}))
    assert not SavedSearch.objects.exists()
    assert AuditEvent.objects.filter(verb="search.deleted").exists()


def test_saved_search_names_are_unique_per_user(officer, other_officer):
    client = client_for(officer)
    client.post(reverse("search:saved-create"), {"name": "Drafts", "query": "status=draft"})
    response = client.post(reverse("search:saved-create"), {"name": "Drafts", "query": "status=submitted"}, follow=True)
    assert "already have a saved search" in response.content.decode()
    assert SavedSearch.objects.filter(user=officer).count() == 1
    client_for(other_officer).post(reverse("search:saved-create"), {"name": "Drafts", "query": "status=draft"})
    assert SavedSearch.objects.count() == 2


def test_another_persons_saved_search_answers_404(officer, other_officer):
    saved = SavedSearch.objects.create(user=officer, name="Mine", query="status=draft")
    intruder = client_for(other_officer)
    assert intruder.get(reverse("search:saved-open", kwargs={"pk": saved.pk})).status_code == 404
    assert intruder.post(reverse("search:saved-delete", kwargs={"pk": saved.pk})).status_code == 404
    assert "Mine" not in intruder.get(reverse("search:saved")).content.decode()
    assert "Mine" not in intruder.get(reverse("cases:list")).content.decode()
    assert SavedSearch.objects.filter(pk=saved.pk).exists()


def test_saved_search_pages_need_a_login(officer):
    saved = SavedSearch.objects.create(user=officer, name="Mine", query="")
    urls = [reverse("search:saved"), reverse("search:saved-open", kwargs={"pk": saved.pk}), reverse("search:export")]
    for url in urls:
        assert Client().get(url)["Location"].startswith(reverse("login"))


# --- CSV export ----------------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_streams_the_filtered_list(officer, magnets, oxide, foreign):
    rows = _csv(client_for(officer).get(reverse("search:export"), {"destination": "US"}))
    assert rows[0][:4] == ["Reference", "Status", "Organisation", "Destination"]
    assert [row[0] for row in rows[1:]] == [oxide.reference]
    assert rows[1][3:7] == ["US", "General licence", "1", "1"]


def test_officers_export_only_their_organisation(officer, other_officer, magnets, foreign):
    mine = _csv(client_for(officer).get(reverse("search:export")))
    assert [row[0] for row in mine[1:]] == [magnets.reference]
    theirs = _csv(client_for(other_officer).get(reverse("search:export"), {"q": magnets.reference}))
    assert theirs[1:] == []
    assert "Queue" not in mine[0]


def test_staff_export_has_review_columns_and_no_drafts(officer, reviewer, magnets, oxide):
    submitted(magnets, on=date(2026, 3, 10))
    queue = Queue.objects.create(name="Magnets desk", slug="magnets")
    CaseAssignment.objects.create(case=magnets, queue=queue, outcome="case_by_case", assigned_to=reviewer)
    rows = _csv(client_for(reviewer).get(reverse("search:export")))
    assert rows[0][-3:] == ["Screening outcome", "Queue", "Assigned to"]
    assert [row[0] for row in rows[1:]] == [magnets.reference]
    assert rows[1][-3:] == ["Case-by-case review", "Magnets desk", reviewer.username]
    assert rows[1][9].startswith("2026-03-10")


def test_export_neutralises_spreadsheet_formulas(db):
    officer = make_user(Role.OFFICER, organisation=make_organisation('=HYPERLINK("http://evil")'))
    make_case(officer, with_certificate=False)
    rows = _csv(client_for(officer).get(reverse("search:export")))
    assert rows[1][2] == '\'=HYPERLINK("http://evil")'


# --- indexes -------------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_substring_search_can_use_the_trigram_indexes(officer, magnets):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["cases_%_trgm"])
        assert {row[0] for row in cursor.fetchall()} == {
            "cases_party_name_trgm",
            "cases_item_description_trgm",
            "cases_item_control_code_trgm",
            "cases_case_reference_trgm",
        }
    # With a handful of rows the planner rightly prefers a scan; forbidding scans shows the index answers the
    # query as Django writes it (UPPER(column) LIKE UPPER('%term%')), which is what a large table gets.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = case_search(user=officer, q="stuttgart").explain()
    assert "cases_party_name_trgm" in plan and "cases_item_description_trgm" in plan
