"""The permit API: what each user may list and read, shipments with errors keyed by path, and lifecycle actions
with 403, 409 on a stale version and 404 for outsiders."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from permits.models import PermitStatus, Shipment
from permits.services import permit_amendment_start

from .factories import item_data
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def permits(db, officer, other_officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    mine = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    theirs = issue(
        screened_case(other_officer, django_capture_on_commit_callbacks, items=[item_data(control_code="1C906")]),
        reviewer,
        valid_from=date(2026, 6, 1),
    )
    return mine, theirs


def test_list_and_detail_by_role(permits, officer, reviewer):
    mine, theirs = permits
    response = client_for(officer).get("/api/v1/permits")
    assert response.status_code == 200
    assert [p["number"] for p in response.json()["results"]] == [mine.number]
    # Asking for another holder does not widen an officer's view.
    response = client_for(officer).get("/api/v1/permits", {"organisation": theirs.organisation_id})
    assert response.json()["results"] == []
    response = client_for(reviewer).get("/api/v1/permits", {"q": "1c906"})
    assert [p["number"] for p in response.json()["results"]] == [theirs.number]
    assert client_for(reviewer).get("/api/v1/permits", {"valid_to_from": "soon"}).json()["errors"]["valid_to_from"]
    assert client_for(reviewer).get("/api/v1/permits", {"status": "lost"}).json()["errors"]["status"]
    assert client_for(officer).get(f"/api/v1/permits/{theirs.number}").status_code == 404
    body = client_for(officer).get(f"/api/v1/permits/{mine.number}").json()
    assert body["status"] == "issued" and body["actions"] == ["surrender"] and body["rule_set"] == mine.rule_set.label
    assert body["items"][1]["quantity"] == {
        "limit": "50.500000",
        "used": "0.000000",
        "remaining": "50.500000",
        "unit": "kg",
    }
    assert body["items"][1]["value"]["limit"] == "2500.50"
    assert client_for(reviewer).get(f"/api/v1/permits/{mine.number}").json()["actions"] == ["suspend", "revoke"]


def test_shipment_and_errors_by_path(permits, officer, reviewer, other_officer):
    mine, _ = permits
    first, second = mine.items.all()
    url = f"/api/v1/permits/{mine.number}/shipments"
    before = (Shipment.objects.count(), AuditEvent.objects.count())
    response = client_for(officer).post(
        url,
        {
            "shipped_on": "2026-03-01",
            "lines": [
                {"item": first.pk, "quantity": "1", "value": "1.00"},
                {"item": second.pk, "quantity": "60", "value": "1.50"},
                {"item": 999999, "quantity": "1", "value": 1.5},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"lines[1].quantity", "lines[2].item"}
    assert "Exceeds the balance" in errors["lines[1].quantity"][0]
    response = client_for(officer).post(url, {"shipped_on": "2027-01-01", "lines": []}, format="json")
    assert set(response.json()["errors"]) == {"shipped_on", "lines"}
    assert (Shipment.objects.count(), AuditEvent.objects.count()) == before
    assert client_for(reviewer).post(url, {"shipped_on": "2026-03-01", "lines": []}, format="json").status_code == 403
    assert client_for(other_officer).post(url, {}, format="json").status_code == 404
    response = client_for(officer).post(
        url,
        {"shipped_on": "2026-03-01", "lines": [{"item": first.pk, "quantity": "40", "value": "4000"}]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["items"][0]["quantity"]["remaining"] == "60.000000"


def test_actions_by_role_with_reason_and_stale_version(permits, officer, reviewer, other_officer):
    mine, _ = permits
    url = f"/api/v1/permits/{mine.number}/actions/"
    assert client_for(officer).post(url + "suspend", {"reason": "x"}, format="json").status_code == 403
    response = client_for(reviewer).post(url + "suspend", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert client_for(reviewer).post(url + "reinstate", {"reason": "x"}, format="json").status_code == 409
    assert client_for(reviewer).post(url + "fly", {}, format="json").status_code == 404
    assert client_for(other_officer).post(url + "surrender", {}, format="json").status_code == 404
    response = client_for(reviewer).post(url + "suspend", {"reason": "Inquiry.", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    # The version read before the suspension is stale now: nothing happens.
    response = client_for(reviewer).post(url + "revoke", {"reason": "Breach.", "version": 1}, format="json")
    assert response.status_code == 409
    mine.refresh_from_db()
    assert mine.status == PermitStatus.SUSPENDED
    response = client_for(officer).post(url + "surrender", {"version": mine.version}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "surrendered"


def test_detail_shows_the_chain(permits, officer):
    mine, _ = permits
    draft = permit_amendment_start(permit=mine, actor=officer, kind="amendment")
    body = client_for(officer).get(f"/api/v1/permits/{mine.number}").json()
    assert body["amendments"] == [{"case": draft.reference, "kind": "amendment", "status": "draft", "permit": None}]
    assert body["replaces"] is None


def test_list_queries_do_not_grow_with_permits(
    permits, officer, reviewer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/permits")
    for _ in range(3):
        issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/permits")
    assert response.json()["count"] == 5
