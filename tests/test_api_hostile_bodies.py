"""Bodies that parse as JSON but cannot be kept or answered, and numbers past what a column holds: each is a 400 (or
413) in the API's error shape, never a 500, and nothing is written. Found by probing every write endpoint of a
running server with hostile input."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case
from permits.models import Shipment

from .engine_cases import case as screening_case
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_raw(client: APIClient, path: str, body: str | bytes):
    return client.post(path, body, content_type="application/json", secure=True)


def _written() -> tuple[int, int, int]:
    return Case.objects.count(), Shipment.objects.count(), AuditEvent.objects.count()


def _case_body(**overrides) -> dict:
    body = {
        "licence_type": "single",
        "transaction": "export",
        "destination_country": "DE",
        "decisive_date": "2025-06-01",
        "items": [{"kind": "goods", "description": "Sintered NdFeB magnets"}],
        "parties": [],
        "end_use": {"categories": ["civil"], "description": "Motors"},
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
        (json.dumps(_case_body(licence_type="\ud800x")), "not valid Unicode"),
        # Free text too: PostgreSQL cannot store the string, which was a 500 at the INSERT.
        (json.dumps(_case_body(items=[{"kind": "goods", "description": "magnets \udc00"}])), "not valid Unicode"),
        (json.dumps(_case_body()).replace('"Motors"', '"Motors", "x": NaN'), "NaN is not a number JSON allows"),
        ('{"licence_type": Infinity}', "Infinity is not a number JSON allows"),
    ],
    ids=["nested", "surrogate-in-a-choice", "surrogate-in-free-text", "nan", "infinity"],
)
def test_a_case_body_that_cannot_be_kept_is_a_400_and_writes_nothing(officer, body, said):
    before = _written()
    response = post_raw(client_for(officer), "/api/v1/cases", body)
    assert response.status_code == 400, response.content[:300]
    assert said in response.json()["errors"]["non_field_errors"][0]
    assert _written() == before


def test_a_paired_surrogate_is_an_ordinary_character(officer):
    # "\ud83e\uddf2" is one character (a magnet), escaped as JSON escapes characters outside the first plane.
    body = json.dumps(_case_body(items=[{"kind": "goods", "description": "magnets \U0001f9f2"}]))
    assert "\\ud83e\\uddf2" in body
    response = post_raw(client_for(officer), "/api/v1/cases", body)
    assert response.status_code == 201, response.content[:300]
    assert Case.objects.get().items.get().description == "magnets \U0001f9f2"


@pytest.fixture
def permit(db, officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    return issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)


@pytest.mark.parametrize(
    ("line", "path", "said"),
    [
        ({"quantity": "1e30", "value": "1.00"}, "lines[0].quantity", "too large"),
        ({"quantity": "1" + "0" * 40, "value": "1.00"}, "lines[0].quantity", "too large"),
        ({"quantity": "1", "value": 10**30}, "lines[0].value", "too large"),
        ({"quantity": None, "value": "1.00"}, "lines[0].quantity", "Give an amount"),
        ({"item": 1e400, "quantity": "1", "value": "1.00"}, "lines[0].item", "Not a line of this permit"),
        ({"item": True, "quantity": "1", "value": "1.00"}, "lines[0].item", "Not a line of this permit"),
    ],
    ids=["exponent", "forty-digits", "huge-integer", "null", "infinite-item", "true-item"],
)
def test_a_shipment_line_past_what_the_columns_hold_is_a_400(permit, officer, line, path, said):
    item = permit.items.order_by("position").first()
    body = {"shipped_on": "2026-03-01", "lines": [{"item": item.pk, **line}]}
    text = json.dumps(body).replace("Infinity", "1e400")  # json.dumps writes a float's infinity as Infinity
    before = _written()
    response = post_raw(client_for(officer), f"/api/v1/permits/{permit.number}/shipments", text)
    assert response.status_code == 400, response.content[:300]
    assert said in " ".join(response.json()["errors"][path])
    assert _written() == before


def test_a_holder_id_past_the_databases_keys_is_a_400(permit, reviewer):
    response = client_for(reviewer).get("/api/v1/permits", {"organisation": "9" * 25}, secure=True)
    assert response.status_code == 400 and "organisation" in response.json()["errors"]


def test_a_body_over_the_memory_limit_is_the_apis_413(officer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    body = json.dumps(_case_body(end_use={"categories": ["civil"], "description": "x" * 5_000}))
    before = _written()
    response = post_raw(client_for(officer), "/api/v1/cases", body)
    assert response.status_code == 413
    assert response.json() == {"errors": {"non_field_errors": ["The request body is too large."]}}
    assert _written() == before


@pytest.fixture
def seeded(db):
    call_command("load_rule_pack", "--publish", stdout=__import__("io").StringIO())


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.update(items="abc"),
        lambda doc: doc.update(items=[1, None, "x"]),
        lambda doc: doc.update(items=5),
        lambda doc: doc["items"][0].update(content="abc"),
        lambda doc: doc["items"][0].update(content=[5]),
        lambda doc: doc["items"][0].update(content=[{"origin_country": "CN", "value_share": True}]),
        lambda doc: doc.update(exporter="someone"),
        lambda doc: doc.update(parties=[{"name": "p", "owners": "abc"}]),
    ],
    ids=[
        "items-text",
        "items-not-objects",
        "items-number",
        "content-text",
        "content-number",
        "share-true",
        "exporter-text",
        "owners-text",
    ],  # fmt: skip
)
def test_a_screening_of_a_misshapen_document_is_a_400(seeded, officer, change):
    doc = screening_case()
    change(doc)
    response = client_for(officer).post("/api/v1/screenings", doc, format="json", secure=True)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("share", "said"),
    [("NaN", "NaN is not a number JSON allows"), ("1e999999999", None)],
)
def test_a_screening_with_a_share_no_decimal_can_add_up_is_a_400(seeded, officer, share, said):
    doc = screening_case()
    doc["items"][0]["content"] = [
        {"origin_country": "CN", "value_share": 0.5},
        {"origin_country": "CN", "value_share": 0.25},
    ]
    body = json.dumps(doc).replace("0.25", share)
    response = post_raw(client_for(officer), "/api/v1/screenings", body)
    assert response.status_code == 400, response.content[:300]
    errors = response.json()["errors"]
    assert said is None or said in errors["$"][0]
