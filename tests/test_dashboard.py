"""The officer's dashboard: their organisation's cases by status, what waits for them, and permits in force."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.vocab import CaseStatus
from dashboard.selectors import permits_in_force
from permits.services import shipment_record

from .factories import make_case
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db

# Session, user, roles, the organisation in the header, status counts, drafts, information requests, permits and
# their lines: the same with one permit and five cases as with three permits and fifteen.
QUERIES = 9


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def set_status(case: Case, status: str) -> None:
    Case.objects.filter(pk=case.pk).update(status=status)


def test_home_sends_officers_to_the_dashboard(officer, reviewer):
    assert client_for(officer).get(reverse("home"))["Location"] == reverse("dashboard:officer")
    # The authority's staff have start pages of their own.
    assert client_for(reviewer).get(reverse("dashboard:officer"))["Location"] == reverse("home")
    assert Client().get(reverse("dashboard:officer"))["Location"].startswith(reverse("login"))


def test_cases_by_status_counts_only_the_organisations_cases(officer, other_officer):
    drafts = [make_case(officer, with_certificate=False) for _ in range(2)]
    submitted = make_case(officer, with_certificate=False)
    set_status(submitted, CaseStatus.SUBMITTED)
    for _ in range(3):
        make_case(other_officer, with_certificate=False)
    response = client_for(officer).get(reverse("dashboard:officer"))
    counts = {bar.status: bar.count for bar in response.context["bars"]}
    assert counts[CaseStatus.DRAFT] == 2 and counts[CaseStatus.SUBMITTED] == 1
    assert sum(counts.values()) == response.context["total"] == 3
    page = response.content.decode()
    # The chart is inline SVG drawn on the server: the longest bar is the full width, the others in proportion.
    widths = {bar.status: bar.width for bar in response.context["bars"]}
    assert widths[CaseStatus.DRAFT] == 300 and widths[CaseStatus.SUBMITTED] == 150 and widths[CaseStatus.REFUSED] == 0
    assert "<svg" in page and 'class="status-chart-bar status-chart-bar-draft"' in page
    assert {d.reference for d in response.context["drafts"]} == {d.reference for d in drafts}
    assert submitted.reference not in re.search(r'id="drafts".*?</ul>', page, re.S).group(0)


def test_nothing_is_loaded_from_the_internet(officer):
    make_case(officer, with_certificate=False)
    page = client_for(officer).get(reverse("dashboard:officer")).content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script>" not in page and " onclick=" not in page


def test_empty_dashboard_says_so(officer):
    page = client_for(officer).get(reverse("dashboard:officer")).content.decode()
    assert "no cases yet" in page and "No drafts waiting" in page and "No permits in force" in page


@pytest.mark.skipif(not apps.is_installed("rfis"), reason="the rfis app is not installed")
def test_open_information_requests_wait_for_the_officer(officer, other_officer, reviewer):
    request_model = apps.get_model("rfis", "InformationRequest")
    mine = make_case(officer, with_certificate=False)
    theirs = make_case(other_officer, with_certificate=False)
    set_status(mine, CaseStatus.INFORMATION_REQUESTED)
    today = timezone.localdate()
    request_model.objects.create(case=mine, asked_by=reviewer, deadline=today + timedelta(days=5))
    request_model.objects.create(case=theirs, asked_by=reviewer, deadline=today + timedelta(days=5))
    answered = make_case(officer, with_certificate=False)
    request_model.objects.create(case=answered, asked_by=reviewer, deadline=today, status=request_model.Status.ANSWERED)
    response = client_for(officer).get(reverse("dashboard:officer"))
    assert [r.case.reference for r in response.context["information_requests"]] == [mine.reference]


@pytest.fixture
def permit(officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    case = screened_case(officer, django_capture_on_commit_callbacks)
    return issue(case, reviewer, valid_from=timezone.localdate())


def test_permits_show_days_to_expiry_and_the_balance_left(officer, other_officer, permit):
    today = timezone.localdate()
    first = permit.items.order_by("position", "id").first()
    # Half of the first line's quantity and a tenth of its value: the quantity decides, half is left.
    shipment_record(
        permit=permit,
        actor=officer,
        shipped_on=today,
        lines=[{"item": first.pk, "quantity": first.quantity_limit / 2, "value": first.value_limit / 10}],
    )
    response = client_for(officer).get(reverse("dashboard:officer"))
    [row] = response.context["permits"]
    assert row.permit == permit
    assert row.days_to_expiry == (permit.valid_to - today).days
    assert row.remaining_share == Decimal("0.5") and row.remaining_percent == 50 and row.lines == 2
    page = response.content.decode()
    assert permit.number in page and 'value="50"' in page
    # Another organisation's officer does not see it.
    assert client_for(other_officer).get(reverse("dashboard:officer")).context["permits"] == []


def test_permits_past_validity_or_not_in_force_are_left_out(officer, permit):
    assert permits_in_force(user=officer, today=permit.valid_to + timedelta(days=1)) == []
    assert [p.permit for p in permits_in_force(user=officer, today=permit.valid_to)] == [permit]
    assert permits_in_force(user=officer, today=permit.valid_to)[0].days_to_expiry == 0


def test_dashboard_costs_a_constant_number_of_queries(
    officer, reviewer, permit, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = client_for(officer)
    for _ in range(3):
        make_case(officer, with_certificate=False)
    with django_assert_max_num_queries(QUERIES):
        client.get(reverse("dashboard:officer"))
    for _ in range(2):
        issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer, valid_from=timezone.localdate())
    for _ in range(10):
        make_case(officer, with_certificate=False)
    with django_assert_max_num_queries(QUERIES):
        response = client.get(reverse("dashboard:officer"))
    assert len(response.context["permits"]) == 3
