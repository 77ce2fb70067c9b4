"""The reviewers' pages: home, queues, the actions on the case page, notes there, and the routing rules.

Permissions are checked on the server: every page and every POST is tried by each role, and actions the page
does not offer are POSTed directly to see them refused with nothing changed."""

import io
from datetime import date

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus
from parties.models import ListVersion, PotentialMatch, RestrictedList
from review.models import CaseAssignment, Queue, Recommendation, RefusalReason, RoutingRule
from review.services import case_claim, case_note_add, case_recommend

from .factories import item_data, make_case, make_user

pytestmark = pytest.mark.django_db

GALLIUM_TO_US = {
    "destination_country": "US",
    "items": [item_data(description="Gallium ingots", control_code="", elements=[{"element": "Ga", "form": "metal"}])],
}


@pytest.fixture
def published(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


@pytest.fixture
def screened(published, officer, django_capture_on_commit_callbacks):
    def make(**overrides) -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            case = case_submit(case=make_case(officer, **overrides), actor=officer)
        case.refresh_from_db()
        assert case.status == CaseStatus.SCREENED
        return case

    return make


@pytest.fixture
def second_senior(db):
    return make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior2")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def case_page(case) -> str:
    return reverse("cases:detail", kwargs={"reference": case.reference})


def action(case, name) -> str:
    return reverse(f"review:{name}", kwargs={"reference": case.reference})


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def refuse(case, actor) -> Recommendation:
    return case_recommend(
        case=case,
        actor=actor,
        recommendation="refuse",
        reasons="Contract and statement disagree.",
        refusal_reasons=[RefusalReason.objects.get(code="end-user-not-credible")],
        applicant_text="The statement names another product.",
    )


def potential_match(case) -> PotentialMatch:
    listed, _ = RestrictedList.objects.get_or_create(key="TEST", defaults={"name": "Test list", "format": "csv"})
    version, _ = ListVersion.objects.get_or_create(restricted_list=listed, number=1, effective_from=date(2025, 1, 1))
    return PotentialMatch.objects.create(
        case=case,
        party_index=0,
        party_name="Stuttgart Antriebstechnik GmbH",
        restricted_list=listed,
        list_version=version,
        entry_id=f"E{case.pk}",
        entry_name="Stuttgart Antrieb",
        entry_hash="x",
        score="0.9100",
        band="review",
    )


# --- who may open which page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["review:home", "review:queue"])
def test_pages_by_role(url_name, published, officer, other_officer, reviewer, senior_reviewer, auditor):
    url = reverse(url_name, kwargs={"slug": "general"} if url_name == "review:queue" else {})
    response = client_for(None).get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(officer).get(url).status_code == 403
    assert client_for(other_officer).get(url).status_code == 403
    for staff in (reviewer, senior_reviewer, auditor):
        assert client_for(staff).get(url).status_code == 200


def test_unknown_queue_is_404(published, reviewer):
    assert client_for(reviewer).get(reverse("review:queue", kwargs={"slug": "nope"})).status_code == 404


def test_nav_links_reviewers_to_their_home(published, reviewer, officer):
    home = reverse("review:home")
    assert f'href="{home}"' in client_for(reviewer).get(reverse("cases:list")).content.decode()
    assert f'href="{home}"' not in client_for(officer).get(reverse("cases:list")).content.decode()


# --- the home page ---------------------------------------------------------------------------------------------


def _fill(screened, reviewer, senior_reviewer, n: int) -> None:
    """n screened cases: a third held by `reviewer`, a third awaiting countersignature, each with a list hit."""
    for i in range(n):
        case = screened()
        potential_match(case)
        if i % 3 == 1:
            case_claim(case=case, actor=reviewer)
        elif i % 3 == 2:
            refuse(case_claim(case=case, actor=reviewer), reviewer)


def _home_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("review:home"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_home_reads_a_constant_number_of_queries(screened, reviewer, senior_reviewer, django_assert_max_num_queries):
    _fill(screened, reviewer, senior_reviewer, 3)
    client = client_for(senior_reviewer)
    few, _ = _home_queries(client)
    assert few <= 12
    _fill(screened, reviewer, senior_reviewer, 27)
    with django_assert_max_num_queries(few):
        response = client.get(reverse("review:home"))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        client.get(reverse("review:home"))
    _, page = _home_queries(client_for(reviewer))
    assert f"({PotentialMatch.objects.count()})" in page  # every open hit counted, not only those shown


def test_home_shows_my_cases_queues_and_countersignatures(screened, reviewer, senior_reviewer, second_senior):
    mine = case_claim(case=screened(), actor=reviewer)
    waiting = screened()
    referred = refuse(case_claim(case=screened(), actor=senior_reviewer), senior_reviewer).case
    potential_match(waiting)

    page = client_for(reviewer).get(reverse("review:home")).content.decode()
    assert mine.reference in page
    assert "Awaiting countersignature" not in page  # not a senior
    assert "General review" in page and "Senior review" in page

    page = client_for(second_senior).get(reverse("review:home")).content.decode()
    assert referred.reference in page and "yours: another senior signs" not in page
    page = client_for(senior_reviewer).get(reverse("review:home")).content.decode()
    assert "yours: another senior signs" in page
    assert (
        reverse("parties:potential-match", kwargs={"reference": waiting.reference, "match_id": 1}).rsplit("/", 2)[0]
        in page
    )


# --- the queue page --------------------------------------------------------------------------------------------


def test_queue_lists_claimed_and_unclaimed_with_claim_buttons(screened, reviewer, senior_reviewer):
    waiting, held = screened(), case_claim(case=screened(), actor=senior_reviewer)
    url = reverse("review:queue", kwargs={"slug": "general"})
    page = client_for(reviewer).get(url).content.decode()
    assert waiting.reference in page and held.reference in page
    assert page.count(action(waiting, "claim")) == 1 and action(held, "claim") not in page
    page = client_for(reviewer).get(url + "?show=unassigned").content.decode()
    assert waiting.reference in page and held.reference not in page
    # Auditors read the queue but are offered nothing.
    page = client_for(make_user(Role.AUDITOR)).get(url).content.decode()
    assert waiting.reference in page and action(waiting, "claim") not in page


def test_senior_queue_offers_claims_to_seniors_only(screened, reviewer, senior_reviewer):
    grave = screened(**GALLIUM_TO_US)
    assert grave.assignment.queue.slug == "senior"
    url = reverse("review:queue", kwargs={"slug": "senior"})
    assert action(grave, "claim") not in client_for(reviewer).get(url).content.decode()
    assert action(grave, "claim") in client_for(senior_reviewer).get(url).content.decode()
    # POSTed anyway: the service refuses, and the case stays in the queue.
    response = client_for(reviewer).post(action(grave, "claim"), {"version": grave.version})
    assert response.status_code == 403
    assert fresh(grave).status == CaseStatus.SCREENED
    assert CaseAssignment.objects.get(case=grave).assigned_to is None


def test_queue_paginates_sorts_and_counts_queries(screened, reviewer, monkeypatch, django_assert_max_num_queries):
    from review import views

    monkeypatch.setattr(views, "CASES_PER_PAGE", 2)
    cases = [screened() for _ in range(3)]
    url = reverse("review:queue", kwargs={"slug": "general"})
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as ctx:
        first = client.get(url + "?sort=submitted").content.decode()
    few = len(ctx.captured_queries)  # now: the list is read from the connection's log, which later requests clear
    assert cases[0].reference in first and cases[2].reference not in first and "Page 1 of 2" in first
    second = client.get(url + "?sort=submitted&page=2").content.decode()
    assert cases[2].reference in second and cases[0].reference not in second
    newest = client.get(url + "?sort=-submitted").content.decode()
    assert cases[2].reference in newest and cases[0].reference not in newest
    monkeypatch.setattr(views, "CASES_PER_PAGE", 25)
    for _ in range(5):
        screened()
    with django_assert_max_num_queries(few):
        response = client.get(url + "?sort=submitted")
    assert response.content.decode().count('action="/review/cases/') == 8


@pytest.mark.skipif(not apps.is_installed("timelimits"), reason="time limits are another app's")
def test_overdue_and_due_soon_rows_stand_out(screened, reviewer):
    from django.utils import timezone

    today = timezone.localdate()
    overdue, soon, later = screened(), screened(), screened()
    clock_model = apps.get_model("timelimits", "CaseClock")
    field_names = {f.name for f in clock_model._meta.get_fields()}
    for case, days_left, soon_from in ((overdue, -3, -10), (soon, 2, -1), (later, 40, 30)):
        values = {"due_on": date.fromordinal(today.toordinal() + days_left)}
        if "due_soon_on" in field_names:
            values["due_soon_on"] = date.fromordinal(today.toordinal() + soon_from)
        clock_model.objects.filter(case=case).update(**values)
    page = client_for(reviewer).get(reverse("review:queue", kwargs={"slug": "general"})).content.decode()
    assert page.index(overdue.reference) < page.index(soon.reference) < page.index(later.reference)
    assert "case-overdue" in page and "case-due-soon" in page and "Overdue" in page and "Due soon" in page


# --- actions on the case page ----------------------------------------------------------------------------------


def test_case_page_panel_by_role(screened, officer, reviewer, auditor):
    case = screened()
    assert action(case, "claim") in client_for(reviewer).get(case_page(case)).content.decode()
    officer_page = client_for(officer).get(case_page(case)).content.decode()
    assert 'id="review-panel"' not in officer_page and action(case, "claim") not in officer_page
    auditor_page = client_for(auditor).get(case_page(case)).content.decode()
    assert 'id="review-panel"' in auditor_page and action(case, "claim") not in auditor_page
    # Reviewers see what screening found, and the trail.
    assert 'id="screening"' in auditor_page and "Audit trail" in auditor_page


@pytest.mark.parametrize("who", ["anonymous", "officer", "other_officer", "auditor"])
def test_claim_posted_by_others_is_refused(who, screened, request):
    case = screened()
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_for(user).post(action(case, "claim"), {"version": case.version})
    expected = {"anonymous": 302, "officer": 403, "other_officer": 404, "auditor": 403}[who]
    assert response.status_code == expected
    assert fresh(case).status == CaseStatus.SCREENED


def test_reviewer_claims_recommends_and_senior_countersigns_through_the_page(screened, reviewer, senior_reviewer):
    case = screened()
    client = client_for(reviewer)
    response = client.post(action(case, "claim"), {"version": case.version})
    assert response.status_code == 302 and response["Location"] == case_page(case)
    case = fresh(case)
    assert case.status == CaseStatus.IN_REVIEW
    page = client.get(case_page(case)).content.decode()
    assert action(case, "recommend") in page and action(case, "countersign") not in page
    reason = RefusalReason.objects.get(code="end-user-not-credible")
    response = client.post(
        action(case, "recommend"),
        {
            "version": case.version,
            "recommendation": "refuse",
            "reasons": "Statement contradicts the contract.",
            "refusal_reasons": [reason.pk],
            "applicant_text": "The statement names another product.",
        },
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == CaseStatus.AWAITING_COUNTERSIGNATURE
    senior = client_for(senior_reviewer)
    assert action(case, "countersign") in senior.get(case_page(case)).content.decode()
    response = senior.post(action(case, "countersign"), {"version": case.version, "agree": "yes", "note": ""})
    assert response.status_code == 302 and fresh(case).status == CaseStatus.REFUSED


def test_bad_recommendation_shows_field_errors_and_writes_nothing(screened, reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    response = client_for(reviewer).post(
        action(case, "recommend"), {"version": case.version, "recommendation": "refuse", "reasons": "No."}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A refusal needs at least one reason from the standard list." in page
    assert "Explain the refusal to the applicant." in page
    assert fresh(case).status == CaseStatus.IN_REVIEW and not Recommendation.objects.exists()


def test_a_stale_page_writes_nothing(screened, reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    response = client_for(reviewer).post(
        action(case, "release"), {"version": case.version - 1, "reason": ""}, follow=True
    )
    assert "changed by someone else" in response.content.decode()
    assert fresh(case).status == CaseStatus.IN_REVIEW


def test_a_claim_lost_to_another_reviewer_is_a_message(screened, reviewer):
    case = screened()
    other = make_user(Role.REVIEWER)
    version = case.version
    case_claim(case=case, actor=other)
    response = client_for(reviewer).post(action(case, "claim"), {"version": version}, follow=True)
    assert response.status_code == 200 and "changed by someone else" in response.content.decode()
    assert CaseAssignment.objects.get(case=case).assigned_to == other


def test_an_action_the_status_does_not_allow_is_refused(screened, senior_reviewer):
    case = screened()
    response = client_for(senior_reviewer).post(
        action(case, "countersign"), {"version": case.version, "agree": "yes"}, follow=True
    )
    assert response.status_code == 200 and "nothing to countersign" in response.content.decode()
    assert fresh(case).status == CaseStatus.SCREENED and not AuditEvent.objects.filter(verb="case.countersigned")


def test_four_eyes_on_the_page(screened, reviewer, senior_reviewer, second_senior):
    case = refuse(case_claim(case=screened(**GALLIUM_TO_US), actor=senior_reviewer), senior_reviewer).case
    # Neither the recommending senior nor a plain reviewer is offered the countersignature…
    assert action(case, "countersign") not in client_for(senior_reviewer).get(case_page(case)).content.decode()
    assert action(case, "countersign") not in client_for(reviewer).get(case_page(case)).content.decode()
    assert action(case, "countersign") in client_for(second_senior).get(case_page(case)).content.decode()
    # …and POSTing it anyway is refused, with nothing changed.
    for user in (senior_reviewer, reviewer):
        response = client_for(user).post(action(case, "countersign"), {"version": case.version, "agree": "yes"})
        assert response.status_code == 403
    assert fresh(case).status == CaseStatus.AWAITING_COUNTERSIGNATURE
    assert Recommendation.objects.get(case=case).countersigned_by is None


def test_close_and_reassign_are_for_seniors(screened, reviewer, senior_reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    page = client_for(reviewer).get(case_page(case)).content.decode()
    assert action(case, "close") not in page and action(case, "reassign") not in page
    response = client_for(reviewer).post(action(case, "close"), {"version": case.version, "reason": "Stale"})
    assert response.status_code == 403 and fresh(case).status == CaseStatus.IN_REVIEW
    other = make_user(Role.REVIEWER)
    assert (
        client_for(reviewer).post(action(case, "reassign"), {"version": case.version, "assignee": other.pk}).status_code
        == 403
    )
    senior = client_for(senior_reviewer)
    response = senior.post(action(case, "reassign"), {"version": case.version, "assignee": other.pk})
    assert response.status_code == 302 and CaseAssignment.objects.get(case=case).assigned_to == other
    case = fresh(case)
    response = senior.post(action(case, "close"), {"version": case.version, "reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = senior.post(action(case, "close"), {"version": case.version, "reason": "Applicant stopped answering."})
    assert response.status_code == 302 and fresh(case).status == CaseStatus.CLOSED
    assert AuditEvent.objects.get(case=case, verb="case.close").message == "Applicant stopped answering."


def test_release_by_holder(screened, reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    response = client_for(reviewer).post(action(case, "release"), {"version": case.version, "reason": "Leave"})
    assert response.status_code == 302 and fresh(case).status == CaseStatus.SCREENED


def test_claim_from_the_queue_returns_to_the_queue(screened, reviewer):
    case = screened()
    queue_url = reverse("review:queue", kwargs={"slug": "general"})
    response = client_for(reviewer).post(action(case, "claim"), {"version": case.version, "next": queue_url})
    assert response["Location"] == queue_url
    response = client_for(reviewer).post(
        action(screened(), "claim"), {"version": case.version, "next": "https://elsewhere.example/"}
    )
    assert response["Location"].startswith("/cases/")


def test_get_on_an_action_is_not_allowed(screened, reviewer):
    assert client_for(reviewer).get(action(screened(), "claim")).status_code == 405


# --- notes on the case page ------------------------------------------------------------------------------------


def test_notes_on_the_case_page(screened, officer, other_officer, reviewer):
    case = screened()
    case_note_add(case=case, actor=reviewer, text="Internal: check the parent company.", visibility="internal")
    case_note_add(case=case, actor=reviewer, text="Please send the contract.", visibility="applicant")
    reviewer_page = client_for(reviewer).get(case_page(case)).content.decode()
    assert "Internal: check the parent company." in reviewer_page and "Please send the contract." in reviewer_page
    officer_page = client_for(officer).get(case_page(case)).content.decode()
    assert "Please send the contract." in officer_page
    assert "check the parent company" not in officer_page
    url = action(case, "note-add")
    response = client_for(officer).post(url, {"text": "Contract attached.", "visibility": "applicant"})
    assert response.status_code == 302
    assert client_for(officer).post(url, {"text": "Sneaky", "visibility": "internal"}).status_code == 403
    assert client_for(other_officer).post(url, {"text": "Hi", "visibility": "applicant"}).status_code == 404
    response = client_for(reviewer).post(url, {"text": "", "visibility": "internal"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert [n.text for n in case.notes.order_by("id")][-1] == "Contract attached."
    assert case.notes.count() == 3


# --- routing rules ---------------------------------------------------------------------------------------------


def test_routing_rules_page_is_for_seniors(published, officer, reviewer, auditor, senior_reviewer):
    url = reverse("review:routing")
    for user in (officer, reviewer, auditor):
        assert client_for(user).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
    assert "Case-by-case and worse to seniors" in client_for(senior_reviewer).get(url).content.decode()


def test_senior_creates_edits_and_deactivates_a_rule(published, senior_reviewer, reviewer):
    client = client_for(senior_reviewer)
    general = Queue.objects.get(slug="general")
    data = {"queue": general.pk, "priority": 5, "destination_country": "FR", "description": "France", "active": "on"}
    response = client.post(reverse("review:routing"), data)
    assert response.status_code == 302
    rule = RoutingRule.objects.get(description="France")
    assert AuditEvent.objects.get(verb="routing_rule.created").after["destination_country"] == "FR"
    edit = reverse("review:routing-edit", kwargs={"pk": rule.pk})
    bad = {**data, "min_outcome": "prohibited", "max_outcome": "licence_required"}
    response = client.post(edit, bad)
    assert response.status_code == 200 and "must not be below the lowest" in response.content.decode()
    assert RoutingRule.objects.get(pk=rule.pk).min_outcome == ""
    response = client.post(edit, {**data, "priority": 7})
    assert response.status_code == 302 and RoutingRule.objects.get(pk=rule.pk).priority == 7
    changed = AuditEvent.objects.get(verb="routing_rule.changed")
    assert changed.before["priority"] == 5 and changed.after["priority"] == 7
    deactivate = reverse("review:routing-active", kwargs={"pk": rule.pk})
    assert client_for(reviewer).post(deactivate, {"active": "0"}).status_code == 403
    assert RoutingRule.objects.get(pk=rule.pk).active
    assert client.post(deactivate, {"active": "0"}).status_code == 302
    assert not RoutingRule.objects.get(pk=rule.pk).active
    assert AuditEvent.objects.filter(verb="routing_rule.deactivated", target_id=str(rule.pk)).exists()


def test_timeline_keeps_the_reviewers_reasons_from_the_applicant(screened, officer, reviewer, senior_reviewer):
    case = case_claim(case=screened(), actor=reviewer)
    case = refuse(case, reviewer).case
    reviewer_page = client_for(reviewer).get(case_page(case)).content.decode()
    assert "Contract and statement disagree." in reviewer_page and "recommended a decision" in reviewer_page
    officer_page = client_for(officer).get(case_page(case)).content.decode()
    assert "Contract and statement disagree." not in officer_page
    assert "referred the case for countersignature" in officer_page


@pytest.mark.skipif(not apps.is_installed("rfis"), reason="requests for information are another app's")
def test_requests_for_information_on_the_case_page(screened, reviewer, officer):
    case = case_claim(case=screened(), actor=reviewer)
    rfi_new = reverse("rfis:new", kwargs={"reference": case.reference})
    page = client_for(reviewer).get(case_page(case)).content.decode()
    assert rfi_new in page and 'id="information-requests"' in page
    page = client_for(officer).get(case_page(case)).content.decode()
    assert rfi_new not in page and 'id="information-requests"' in page


def test_the_case_page_reads_the_recommendations_once(screened, senior_reviewer, second_senior):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = refuse(case_claim(case=screened(**GALLIUM_TO_US), actor=senior_reviewer), senior_reviewer).case
    client = client_for(second_senior)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(case_page(case)).content.decode()
    assert action(case, "countersign") in page
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "review_recommendation"')]
    assert len(reads) == 1, reads


def test_the_findings_panel_is_only_for_those_who_may_read_findings(reviewer, officer):
    from review.selectors import open_stricter_findings

    assert open_stricter_findings(user=reviewer) == 0
    assert open_stricter_findings(user=officer) is None
    page = Client()
    page.force_login(reviewer)
    assert 'id="findings-title"' in page.get(reverse("review:home")).content.decode()
