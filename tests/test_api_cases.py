"""The case API: the officer's whole path through it, every kind of bad input, and who may see and do what."""

import copy
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.casedoc import case_document
from cases.models import Case, Document, Item
from cases.selectors import case_get_for_user
from cases.services import case_submit
from screening.contract import validate

from .factories import PDF_BYTES, item_data, make_case

pytestmark = pytest.mark.django_db

API = "/api/v1/cases"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def item_json(**overrides) -> dict:
    data = {
        "kind": "goods",
        "description": "Sintered NdFeB magnets, 2.5 wt % Dy",
        "control_code": "1C905.a",
        "hs_code": "8505111000",
        "produced_in": "CN",
        "quantity": {"amount": "500", "unit": "kg"},
        "value": {"amount": "42000.00", "currency": "USD"},
        "elements": [{"element": "Dy", "form": "magnet", "mass_fraction": "0.025"}],
        "content": [],
        "deep_processed": False,
        "public_domain": False,
    }
    data.update(overrides)
    return data


def party_json(**overrides) -> dict:
    data = {
        "role": "end_user",
        "name": "Stuttgart Antriebstechnik GmbH",
        "address": "Industriestr. 5, 70565 Stuttgart",
        "country": "DE",
        "category": "commercial",
        "owners": [{"name": "Antrieb Holding AG", "country": "CH", "share": "0.6"}],
    }
    data.update(overrides)
    return data


def case_json(**overrides) -> dict:
    data = {
        "licence_type": "single",
        "transaction": "export",
        "destination_country": "DE",
        "decisive_date": "2025-06-01",
        "items": [item_json()],
        "parties": [party_json()],
        "end_use": {"categories": ["civil"], "description": "Traction motors for electric cars"},
    }
    data.update(overrides)
    return data


def upload(client, reference, name="euc.pdf", content=PDF_BYTES, doc_type="end_user_certificate"):
    return client.post(
        f"{API}/{reference}/documents",
        {"doc_type": doc_type, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def state(case: Case) -> tuple:
    """Everything a failed request must leave as it was."""
    case = case_get_for_user(user=case.filed_by, reference=case.reference)
    return case.version, case.status, case_document(case), AuditEvent.objects.count(), Document.objects.count()


# --- The officer's path ---------------------------------------------------------------------------------------


def test_create_upload_validate_submit(officer):
    client = APIClient()
    token = client.post("/api/v1/auth/token", {"username": "officer", "password": "correct-horse-battery-staple"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.data['token']}")

    created = client.post(API, case_json(), format="json")
    assert created.status_code == 201, created.data
    body = created.data
    reference = body["reference"]
    assert re.fullmatch(r"LIC-\d{4}-\d{6}", reference)
    assert created["Location"].endswith(f"{API}/{reference}")
    assert body["status"] == "draft" and body["version"] == 1
    assert body["organisation"] == {"name": officer.organisation.name, "country": "CN"}
    assert body["filed_by"]["username"] == "officer"
    item = body["items"][0]
    assert item["value"] == {"amount": "42000.00", "currency": "USD"}
    assert item["quantity"] == {"amount": "500", "unit": "kg"}
    assert item["elements"] == [{"element": "Dy", "form": "magnet", "mass_fraction": "0.025"}]
    assert item["origin_country"] is None and item["technology_area"] is None
    assert body["parties"][0]["owners"] == [{"name": "Antrieb Holding AG", "country": "CH", "share": "0.6"}]
    assert body["end_use"] == {
        "categories": ["civil"],
        "description": "Traction motors for electric cars",
        "authority_notified": False,
    }
    assert body["documents"] == [] and body["copied_from"] is None and body["submitted_at"] is None

    stored = Item.objects.get(case__reference=reference)
    assert stored.value_amount == Decimal("42000.00") and stored.quantity_amount == Decimal("500")
    assert stored.elements.get().mass_fraction == Decimal("0.025")

    check = client.post(f"{API}/{reference}/validate")
    assert check.status_code == 200
    assert check.data == {
        "complete": False,
        "problems": [
            {
                "path": "documents",
                "code": "no_end_user_certificate",
                "message": "Upload the end-user and end-use certificate.",
            }
        ],
    }

    uploaded = upload(client, reference)
    assert uploaded.status_code == 201, uploaded.data
    assert uploaded.data["doc_type"] == "end_user_certificate"
    assert uploaded.data["name"] == "euc.pdf" and uploaded.data["content_type"] == "application/pdf"
    assert uploaded.data["size"] == len(PDF_BYTES)
    assert uploaded.data["download_url"].endswith(f"{API}/{reference}/documents/{uploaded.data['id']}")

    check = client.post(f"{API}/{reference}/validate")
    assert check.data == {"complete": True, "problems": []}

    submitted = client.post(f"{API}/{reference}/submit", {"version": 2}, format="json")
    assert submitted.status_code == 200, submitted.data
    assert submitted.data["status"] == "submitted" and submitted.data["submitted_at"]
    assert [d["name"] for d in submitted.data["documents"]] == ["euc.pdf"]
    case = Case.objects.get(reference=reference)
    assert case.status == "submitted"
    verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
    assert verbs == ["case.created", "case.document_added", "case.submit"]


def test_case_document_endpoint_is_the_contract_document(officer):
    case = make_case(officer)
    response = client_for(officer).get(f"{API}/{case.reference}/document")
    assert response.status_code == 200
    assert response.json() == case_document(case_get_for_user(user=officer, reference=case.reference))
    assert validate("case", response.json()) == {}


def test_read_returns_what_was_written_and_can_be_sent_back(officer):
    client = client_for(officer)
    reference = client.post(API, case_json(), format="json").data["reference"]
    read = client.get(f"{API}/{reference}")
    assert read.status_code == 200
    # A client may send back what it read, read-only fields and all: they are known keys, and are ignored.
    again = client.put(f"{API}/{reference}", read.json(), format="json")
    assert again.status_code == 200, again.data
    assert again.data["version"] == read.data["version"] + 1
    for key in ("items", "parties", "end_use", "destination_country", "decisive_date"):
        assert again.data[key] == read.data[key]


def test_shares_may_be_json_numbers_as_in_the_contract(officer):
    client = client_for(officer)
    body = case_json(items=[item_json(elements=[{"element": "Nd", "form": "alloy", "mass_fraction": 0.3}])])
    response = client.post(API, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["items"][0]["elements"][0]["mass_fraction"] == "0.3"


def test_a_draft_may_be_saved_almost_empty(officer):
    response = client_for(officer).post(API, {}, format="json")
    assert response.status_code == 201
    assert response.data["items"] == [] and response.data["destination_country"] is None
    assert response.data["licence_type"] == "single" and response.data["transaction"] == "export"


def test_patch_changes_only_what_is_sent_and_replaces_whole_lists(officer):
    case = make_case(officer, items=[item_data(), item_data(description="Dysprosium oxide")])
    client = client_for(officer)
    url = f"{API}/{case.reference}"

    response = client.patch(url, {"end_use": {"authority_notified": True}}, format="json")
    assert response.status_code == 200
    assert len(response.data["items"]) == 2 and response.data["end_use"]["categories"] == ["civil"]
    assert response.data["end_use"]["authority_notified"] is True

    response = client.patch(url, {"items": [item_json(description="Terbium metal", value=None)]}, format="json")
    assert response.status_code == 200
    assert [i["description"] for i in response.data["items"]] == ["Terbium metal"]
    assert response.data["items"][0]["value"] is None
    assert len(response.data["parties"]) == 1
    item = Item.objects.get(case=case)
    assert item.value_amount is None and item.value_currency == ""


def test_put_replaces_the_whole_draft(officer):
    case = make_case(officer)
    response = client_for(officer).put(f"{API}/{case.reference}", {"destination_country": "JP"}, format="json")
    assert response.status_code == 200
    assert response.data["destination_country"] == "JP"
    assert response.data["items"] == [] and response.data["parties"] == []
    assert response.data["end_use"] == {"categories": [], "description": "", "authority_notified": False}
    assert response.data["decisive_date"] is None


def test_withdraw(officer):
    case = make_case(officer)
    response = client_for(officer).post(
        f"{API}/{case.reference}/withdraw", {"reason": "order cancelled"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["status"] == "withdrawn"
    assert AuditEvent.objects.get(verb="case.withdraw", case=case).message == "order cancelled"


def test_copy_makes_a_new_draft_with_the_same_facts(officer):
    original = case_submit(case=make_case(officer), actor=officer)
    client = client_for(officer)
    response = client.post(f"{API}/{original.reference}/copy")
    assert response.status_code == 201
    copy_ = response.data
    assert copy_["reference"] != original.reference
    assert copy_["status"] == "draft" and copy_["copied_from"] == original.reference
    assert copy_["documents"] == []
    assert response["Location"].endswith(f"{API}/{copy_['reference']}")
    read = client.get(f"{API}/{original.reference}").data
    for key in ("items", "parties", "end_use", "destination_country", "decisive_date", "transaction"):
        assert copy_[key] == read[key]
    listed = client.get(API).data["results"]
    assert [c["copied_from"] for c in listed] == [original.reference, None]


# --- Bad input: 400 keyed by path, nothing changes ------------------------------------------------------------


def _set(body: dict, path: str, value) -> dict:
    """Set (or, with value REMOVE, delete) the key at a dotted path such as "items.0.value.amount"."""
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is REMOVE:
        del target[last]
    else:
        target[last] = value
    return body


REMOVE = object()

BAD_INPUT = [
    # (where in the body, the bad value, the error path, part of the message)
    ("items.0.value.amount", "12,5", "items[0].value.amount", "Not a decimal number"),
    ("items.0.value.amount", "1e3", "items[0].value.amount", "Not a decimal number"),
    ("items.0.value.amount", "-5.00", "items[0].value.amount", "greater than or equal to 0"),
    ("items.0.value.amount", 42000.5, "items[0].value.amount", "not as a JSON number"),
    ("items.0.value.amount", "12.345", "items[0].value.amount", "no more than 2 decimal places"),
    ("items.0.quantity.amount", "-1", "items[0].quantity.amount", "greater than or equal to 0"),
    ("items.0.value.currency", "usd", "items[0].value.currency", "three capital letters"),
    ("items.0.value.currency", "DOLLARS", "items[0].value.currency", "no more than 3 characters"),
    ("items.0.value.currency", REMOVE, "items[0].value.currency", "This field is required."),
    ("items.0.elements.0.mass_fraction", "1.5", "items[0].elements[0].mass_fraction", "less than or equal to 1"),
    ("items.0.elements.0.mass_fraction", -0.1, "items[0].elements[0].mass_fraction", "greater than or equal to 0"),
    ("items.0.elements.0.element", "Xx", "items[0].elements[0].element", "not a valid choice"),
    ("parties.0.owners.0.share", 2, "parties[0].owners[0].share", "less than or equal to 1"),
    ("items.0.colour", "red", "items[0].colour", "unknown field"),
    ("items.0.value.colour", "red", "items[0].value.colour", "unknown field"),
    ("parties.0.owners.0.nationality", "CH", "parties[0].owners[0].nationality", "unknown field"),
    ("colour", "red", "colour", "unknown field"),
    ("items.0.description", REMOVE, "items[0].description", "This field is required."),
    ("items.0.kind", REMOVE, "items[0].kind", "This field is required."),
    ("parties.0.name", REMOVE, "parties[0].name", "This field is required."),
    ("parties.0.owners.0.share", REMOVE, "parties[0].owners[0].share", "This field is required."),
    ("destination_country", "XX", "destination_country", "not an ISO 3166-1 alpha-2 country code"),
    ("destination_country", "DEU", "destination_country", "not an ISO 3166-1 alpha-2 country code"),
    ("destination_country", "Germany", "destination_country", "not an ISO 3166-1 alpha-2 country code"),
    ("parties.0.country", "XX", "parties[0].country", "not an ISO 3166-1 alpha-2 country code"),
    ("items.0.produced_in", "cn", "items[0].produced_in", "not an ISO 3166-1 alpha-2 country code"),
    ("items.0.hs_code", "85A", "items[0].hs_code", "6 to 10 digits"),
    ("items.0.kind", "weapon", "items[0].kind", "not a valid choice"),
    ("decisive_date", "2025-13-01", "decisive_date", "Date has wrong format"),
    ("end_use.categories", ["civil", "space"], "end_use.categories[1]", "not a valid choice"),
    ("end_use.categories", ["civil", "civil"], "end_use.categories", "Name each category once"),
    ("items", {"description": "not a list"}, "items", "Expected a list"),
]


@pytest.mark.parametrize(("where", "value", "path", "message"), BAD_INPUT, ids=[f"{b[0]}={b[1]!r}" for b in BAD_INPUT])
def test_bad_input_on_update_is_refused_by_path_and_changes_nothing(officer, where, value, path, message):
    case = make_case(officer)
    before = state(case)
    body = _set(case_json(end_use={"categories": ["civil"]}), where, value)
    response = client_for(officer).put(f"{API}/{case.reference}", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert path in errors, errors
    assert any(message in m for m in errors[path]), errors[path]
    assert state(case) == before


@pytest.mark.parametrize(("where", "value", "path", "message"), BAD_INPUT[::4], ids=[b[0] for b in BAD_INPUT[::4]])
def test_bad_input_on_create_makes_no_case(officer, where, value, path, message):
    body = _set(case_json(end_use={"categories": ["civil"]}), where, value)
    response = client_for(officer).post(API, body, format="json")
    assert response.status_code == 400
    assert any(message in m for m in response.json()["errors"][path])
    assert not Case.objects.exists() and not AuditEvent.objects.filter(verb="case.created").exists()


def test_every_error_of_a_request_is_reported_at_once(officer):
    body = _set(_set(case_json(), "items.0.colour", "red"), "items.0.value.amount", "12,5")
    body = _set(body, "parties.0.country", "XX")
    errors = client_for(officer).post(API, body, format="json").json()["errors"]
    assert set(errors) == {"items[0].colour", "items[0].value.amount", "parties[0].country"}


def test_body_that_is_not_an_object_is_refused(officer):
    response = client_for(officer).post(API, [case_json()], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_submit_incomplete_lists_the_problems_by_path_and_stays_draft(officer):
    case = make_case(officer, with_certificate=False, parties=[], items=[item_data(value_amount=None)])
    before = state(case)
    response = client_for(officer).post(f"{API}/{case.reference}/submit")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"items[0].value", "parties", "documents"}
    assert errors["parties"] == ["Name the end user."]
    assert state(case) == before


def test_rejected_upload_is_a_file_error_and_stores_nothing(officer, settings):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    before = state(case)
    response = upload(client, case.reference, name="contract.docx")
    assert response.status_code == 400
    assert "name ends in '.docx'" in response.json()["errors"]["file"][0]
    response = upload(client, case.reference, content=b"\x7fELF\x02\x01\x01" + b"\x00" * 64)
    assert response.json()["errors"]["file"] == [
        "Only PDF, PNG, JPEG, TIFF, DOCX, XLSX and plain-text files are accepted."
    ]
    settings.DOCUMENT_MAX_BYTES = 10
    response = upload(client, case.reference)
    assert response.status_code == 400 and "larger than" in response.json()["errors"]["file"][0]
    response = upload(client, case.reference, doc_type="passport")
    assert response.status_code == 400 and "doc_type" in response.json()["errors"]
    response = client.post(f"{API}/{case.reference}/documents", {"doc_type": "contract"}, format="multipart")
    assert response.json()["errors"] == {"file": ["No file was submitted."]}
    assert state(case) == before
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_bad_list_filters_are_refused(officer):
    response = client_for(officer).get(API, {"status": "approved-by-magic", "destination": "XX"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "destination"}


# --- Conflicts ------------------------------------------------------------------------------------------------


def test_stale_version_is_a_conflict_and_changes_nothing(officer):
    case = make_case(officer)
    client = client_for(officer)
    url = f"{API}/{case.reference}"
    read = client.get(url).data
    first = client.patch(url, {"version": read["version"], "end_use": {"description": "first"}}, format="json")
    assert first.status_code == 200 and first.data["version"] == read["version"] + 1
    before = state(case)
    second = client.patch(url, {"version": read["version"], "end_use": {"description": "second"}}, format="json")
    assert second.status_code == 409
    assert "changed by someone else" in second.json()["detail"]
    assert state(case) == before
    stale_submit = client.post(f"{url}/submit", {"version": read["version"]}, format="json")
    assert stale_submit.status_code == 409
    assert state(case) == before


def test_editing_after_submit_is_a_conflict(officer):
    case = case_submit(case=make_case(officer), actor=officer)
    client = client_for(officer)
    before = state(case)
    response = client.patch(f"{API}/{case.reference}", {"end_use": {"description": "changed"}}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == f"{case.reference} is submitted: only a draft can be edited."
    assert upload(client, case.reference).status_code == 409
    assert client.post(f"{API}/{case.reference}/submit").status_code == 409
    assert state(case) == before


# --- Who may see and do what ----------------------------------------------------------------------------------


def _case_endpoints(reference: str, document_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"{API}/{reference}", None),
        ("put", f"{API}/{reference}", case_json()),
        ("patch", f"{API}/{reference}", {"end_use": {"description": "x"}}),
        ("get", f"{API}/{reference}/documents", None),
        ("post", f"{API}/{reference}/documents", "upload"),
        ("get", f"{API}/{reference}/documents/{document_id}", None),
        ("post", f"{API}/{reference}/validate", None),
        ("post", f"{API}/{reference}/submit", None),
        ("post", f"{API}/{reference}/withdraw", None),
        ("post", f"{API}/{reference}/copy", None),
        ("get", f"{API}/{reference}/document", None),
    ]


def _call(client, method, url, body):
    if body == "upload":
        return client.post(url, {"doc_type": "contract", "file": SimpleUploadedFile("c.pdf", PDF_BYTES)})
    return getattr(client, method)(url, body, format="json")


def test_another_organisations_case_is_not_found_on_every_endpoint(officer, other_officer):
    case = make_case(officer)
    document = case.documents.get()
    before = state(case)
    client = client_for(other_officer)
    for method, url, body in _case_endpoints(case.reference, document.pk):
        response = _call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.status_code)
    assert state(case) == before
    assert client.get(API).data["count"] == 0


def test_a_missing_case_is_not_found_either(officer):
    for method, url, body in _case_endpoints("LIC-2025-999999", 1):
        assert _call(client_for(officer), method, url, body).status_code == 404, (method, url)


def test_anonymous_is_unauthorised_everywhere(officer):
    case = make_case(officer)
    document = case.documents.get()
    client = APIClient()
    for method, url, body in [("get", API, None), ("post", API, case_json())] + _case_endpoints(
        case.reference, document.pk
    ):
        response = _call(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Token"
    assert Case.objects.count() == 1


@pytest.mark.parametrize("reader", ["reviewer", "auditor"])
def test_readers_see_submitted_cases_but_change_nothing(request, officer, reader):
    user = request.getfixturevalue(reader)
    draft = make_case(officer)
    submitted = case_submit(case=make_case(officer), actor=officer)
    client = client_for(user)
    assert client.get(f"{API}/{draft.reference}").status_code == 404
    assert [c["reference"] for c in client.get(API).data["results"]] == [submitted.reference]
    assert client.get(f"{API}/{submitted.reference}").status_code == 200
    assert client.post(f"{API}/{submitted.reference}/validate").status_code == 200
    assert client.get(f"{API}/{submitted.reference}/document").status_code == 200
    before = state(submitted)
    for method, url, body in [
        ("patch", f"{API}/{submitted.reference}", {"end_use": {"description": "x"}}),
        ("post", f"{API}/{submitted.reference}/documents", "upload"),
        ("post", f"{API}/{submitted.reference}/withdraw", None),
        ("post", f"{API}/{submitted.reference}/copy", None),
    ]:
        response = _call(client, method, url, body)
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.json()["detail"]
    assert state(submitted) == before
    response = client.post(API, case_json(), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the organisation's compliance officers may file its cases."
    assert Case.objects.count() == 2


def test_session_login_works_for_the_browser(client, officer):
    make_case(officer)
    client.force_login(officer)
    response = client.get(API)
    assert response.status_code == 200 and response.json()["count"] == 1


# --- Documents ------------------------------------------------------------------------------------------------


def test_download_gives_the_file_as_an_attachment(officer):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    doc = upload(client, case.reference, name="../../Certificate (signed).pdf").data
    response = client.get(f"{API}/{case.reference}/documents/{doc['id']}", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Certificate (signed).pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    listed = client.get(f"{API}/{case.reference}/documents").json()
    assert [d["id"] for d in listed] == [doc["id"]]


def test_download_only_for_those_who_may_see_the_case(officer, other_officer, reviewer):
    case = make_case(officer)
    other_case = make_case(other_officer)
    document = case.documents.get()
    url = f"{API}/{case.reference}/documents/{document.pk}"
    assert client_for(other_officer).get(url).status_code == 404
    assert client_for(reviewer).get(url).status_code == 404  # a draft is the organisation's own business
    # A document is found only under its own case, even for someone who may see both.
    elsewhere = other_case.documents.get().pk
    assert client_for(officer).get(f"{API}/{case.reference}/documents/{elsewhere}").status_code == 404
    assert client_for(other_officer).get(f"{API}/{other_case.reference}/documents/{document.pk}").status_code == 404
    case_submit(case=case, actor=officer)
    response = client_for(reviewer).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES


# --- The list -------------------------------------------------------------------------------------------------


def test_list_shows_own_cases_with_filters(officer, other_officer):
    mine = make_case(officer)
    japan = make_case(officer, destination_country="JP", items=[item_data(description="Terbium metal")])
    case_submit(case=japan, actor=officer)
    make_case(other_officer)
    client = client_for(officer)

    listed = client.get(API).json()
    assert listed["count"] == 2
    assert [c["reference"] for c in listed["results"]] == [japan.reference, mine.reference]
    line = listed["results"][1]
    assert line["item_count"] == 1 and line["party_count"] == 1 and line["destination_country"] == "DE"
    assert line["organisation"]["name"] == officer.organisation.name

    def refs(**params):
        return [c["reference"] for c in client.get(API, params).json()["results"]]

    assert refs(status="submitted") == [japan.reference]
    assert refs(destination="DE") == [mine.reference]
    assert refs(q="terbium") == [japan.reference]
    assert refs(q=mine.reference) == [mine.reference]


def test_list_takes_the_same_number_of_queries_for_one_case_or_fifty(officer):
    client = client_for(officer)
    make_case(officer, with_certificate=False)
    with CaptureQueriesContext(connection) as one:
        assert client.get(API).data["count"] == 1
    for _ in range(49):
        make_case(officer, with_certificate=False, items=[item_data(), item_data()])
    original = Case.objects.order_by("id").first()
    make_case(officer, with_certificate=False)
    Case.objects.filter(pk=Case.objects.order_by("-id").first().pk).update(copied_from=original)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(API)
    assert response.data["count"] == 51 and len(response.data["results"]) == 50
    assert len(fifty.captured_queries) == len(one.captured_queries) <= 3
    assert response.data["results"][0]["copied_from"] == original.reference
    last_page = client.get(API, {"page": 2}).data
    assert [c["reference"] for c in last_page["results"]] == [original.reference]


def test_reading_a_case_takes_a_fixed_number_of_queries(officer, django_assert_max_num_queries):
    case = make_case(officer, items=[item_data() for _ in range(10)])
    client = client_for(officer)
    for _ in range(3):
        upload(client, case.reference)
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/{case.reference}")
    assert len(response.data["items"]) == 10 and len(response.data["documents"]) == 4


def test_intake_takes_a_fixed_number_of_statements(officer, django_capture_on_commit_callbacks):
    """Create, upload and submit as a client does (token, screening in-process), statement by statement. Here
    the test's transaction wraps each request, so a request's own transaction shows as one SAVEPOINT and RELEASE
    where a server sends BEGIN and COMMIT (not counted below); the submission and the screening after it are two
    such. A transition inside them takes no savepoint of its own."""
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    client = APIClient()
    token = client.post("/api/v1/auth/token", {"username": "officer", "password": "correct-horse-battery-staple"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.data['token']}")

    def statements(*args, **kwargs) -> tuple:
        with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
            response = client.post(*args, **kwargs)
        assert response.status_code in (200, 201), response.data
        sql = [q["sql"] for q in ctx.captured_queries]
        savepoints = len([s for s in sql if s.startswith("SAVEPOINT")])
        assert savepoints == len([s for s in sql if s.startswith("RELEASE SAVEPOINT")])
        return response, len(sql) - 2 * savepoints, savepoints

    def file_case() -> list[tuple[int, int]]:
        created, *create = statements(API, case_json(), format="json")
        reference = created.data["reference"]
        file = SimpleUploadedFile("euc.pdf", PDF_BYTES)
        _, *add = statements(
            f"{API}/{reference}/documents", {"doc_type": "end_user_certificate", "file": file}, format="multipart"
        )
        _, *submit = statements(f"{API}/{reference}/submit", {}, format="json")
        assert Case.objects.get(reference=reference).status == "screened"
        return [tuple(create), tuple(add), tuple(submit)]

    file_case()  # the first case of a process compiles the rule set and reads what the process keeps
    # (statements, transactions): create 8 in 1, upload 5 in 1, submission and screening 21 in 2.
    assert file_case() == [(8, 1), (5, 1), (21, 2)]


def test_browsable_api_pages_render_for_a_signed_in_browser(client, officer):
    case = make_case(officer)
    client.force_login(officer)
    base = f"{API}/{case.reference}"
    for url, expected in [
        (API, 200),
        (f"{API}?status=approved-by-magic", 400),
        (base, 200),
        (f"{base}/documents", 200),
        (f"{base}/document", 200),
        (f"{base}/submit", 405),
        (f"{API}/LIC-2025-999999", 404),
    ]:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == expected, url
        assert response["Content-Type"].startswith("text/html")
