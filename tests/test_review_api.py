"""The review API: claim, release, recommend, countersign and the applicant's view of the decision."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.roles import Role
from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus

from .factories import make_case, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def screened(officer, django_capture_on_commit_callbacks):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        case = case_submit(case=make_case(officer), actor=officer)
    case.refresh_from_db()
    return case


def url(case: Case, action: str) -> str:
    return f"/api/v1/cases/{case.reference}/{action}"


def test_claim_recommend_countersign_and_the_applicant_reads_the_refusal(screened, officer, reviewer, senior_reviewer):
    response = client_for(reviewer).post(url(screened, "claim"))
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    assert client_for(make_user(Role.REVIEWER)).post(url(screened, "claim")).status_code == 409
    refusal = {
        "recommendation": "refuse",
        "reasons": "Statement does not match the contract.",
        "refusal_reasons": ["end-user-not-credible"],
        "applicant_text": "The end-use statement names another product.",
    }
    response = client_for(reviewer).post(url(screened, "recommend"), refusal, format="json")
    assert response.status_code == 200 and response.json()["status"] == "awaiting_countersignature"
    assert client_for(officer).get(url(screened, "decision")).status_code == 404
    assert client_for(reviewer).post(url(screened, "countersign"), {"agree": True}, format="json").status_code == 403
    # A countersignature names the version the senior read: a stale one is a 409 and changes nothing.
    read = client_for(senior_reviewer).get(f"/api/v1/cases/{screened.reference}").json()["version"]
    stale = client_for(senior_reviewer).post(
        url(screened, "countersign"), {"agree": True, "version": read - 1}, format="json"
    )
    assert stale.status_code == 409
    assert client_for(senior_reviewer).get(f"/api/v1/cases/{screened.reference}").json()["version"] == read
    response = client_for(senior_reviewer).post(
        url(screened, "countersign"), {"agree": True, "version": read}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "refused"
    decision = client_for(officer).get(url(screened, "decision")).json()
    assert decision["decision"] == "refused" and decision["text"] == refusal["applicant_text"]
    assert [r["code"] for r in decision["refusal_reasons"]] == ["end-user-not-credible"]


def test_bad_recommendation_is_a_400_keyed_by_field_and_changes_nothing(screened, reviewer):
    client_for(reviewer).post(url(screened, "claim"))
    response = client_for(reviewer).post(
        url(screened, "recommend"),
        {"recommendation": "refuse", "reasons": "x", "refusal_reasons": ["no-such-reason"]},
        format="json",
    )
    assert response.status_code == 400 and "refusal_reasons[0]" in response.json()["errors"]
    response = client_for(reviewer).post(
        url(screened, "recommend"), {"recommendation": "refuse", "reasons": "x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"refusal_reasons", "applicant_text"}
    assert Case.objects.get(pk=screened.pk).status == CaseStatus.IN_REVIEW


def test_officers_cannot_act_as_reviewers_and_outsiders_get_404(screened, officer, other_officer, reviewer):
    assert client_for(officer).post(url(screened, "claim")).status_code == 403
    assert client_for(other_officer).post(url(screened, "claim")).status_code == 404
    assert client_for(other_officer).get(url(screened, "decision")).status_code == 404
    client_for(reviewer).post(url(screened, "claim"))
    body = {"recommendation": "approve", "reasons": "x"}
    assert client_for(officer).post(url(screened, "recommend"), body, format="json").status_code == 403
    assert client_for(officer).post(url(screened, "release")).status_code == 403
    assert Case.objects.get(pk=screened.pk).status == CaseStatus.IN_REVIEW


def test_release_and_direct_approval(screened, officer, reviewer):
    assert client_for(reviewer).post(url(screened, "claim")).status_code == 200
    response = client_for(reviewer).post(url(screened, "release"), {"reason": "leave"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "screened"
    client_for(reviewer).post(url(screened, "claim"))
    response = client_for(reviewer).post(
        url(screened, "recommend"), {"recommendation": "approve", "reasons": "Routine."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert client_for(officer).get(url(screened, "decision")).json()["decision"] == "approved"
    # A decided case cannot be recommended on again.
    response = client_for(reviewer).post(
        url(screened, "recommend"), {"recommendation": "approve", "reasons": "Again."}, format="json"
    )
    assert response.status_code == 409


def test_an_outsider_gets_404_before_the_body_is_read(screened, other_officer):
    """The case is looked up first: a bad body does not tell an outsider (with a 400) that the reference exists."""
    for action in ("recommend", "countersign", "release"):
        response = client_for(other_officer).post(url(screened, action), {"reason": "x" * 3000}, format="json")
        assert response.status_code == 404, action
    assert Case.objects.get(pk=screened.pk).status == screened.status
