"""The API fuzzed against its own OpenAPI schema (schemathesis): no request an officer or a reviewer can send makes
a 500, and every answer fits the schema.

Requests go through the WSGI application, on the test database, with a real token in the header. Path parameters
that name a case, a document or a permit are often pointed at real ones (a draft, a submitted case, a permit), so
bodies reach the services instead of stopping at a 404. Runs are bounded and derandomized, so CI sees the same
examples every time.

What the fuzzing found is pinned by the plain tests at the end: a body that is not JSON answered DRF's
{"detail": ...} instead of the {"errors": ...} the schema promises, and a draft's null submission time and decisive
date broke the schema of the case and the case list.
"""

import functools
import io

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.roles import Role
from cases.services import case_submit
from config.wsgi import application

from .factories import make_case, make_user
from .permit_helpers import issue, screened_case

pytestmark = pytest.mark.django_db

CHECKS = [schemathesis.checks.not_a_server_error, response_schema_conformance]


# Loaded once at collection from the app itself (pytest-django has set Django up by then).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
OPERATIONS = sorted((result.ok() for result in schema.get_all_operations()), key=lambda op: op.label)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the test's
    transaction; Django's own test client stops it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def cases_under_test(org, django_capture_on_commit_callbacks):
    """Real objects for path parameters: a draft with a document, a submitted case, and a screened case with a
    permit issued on it."""
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    officer = make_user(Role.OFFICER, organisation=org, username="fuzz.officer")
    draft = make_case(officer)
    submitted = make_case(officer)
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=submitted, actor=officer)
    permitted = screened_case(officer, django_capture_on_commit_callbacks)
    permit = issue(permitted, make_user(Role.REVIEWER, username="fuzz.approver"))
    real = {
        "reference": [draft.reference, submitted.reference, permitted.reference],
        "document_id": [draft.documents.get().pk],
        "number": [permit.number],
    }
    return officer, real


def _token_header(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def as_officer(cases_under_test):
    officer, real = cases_under_test
    return _token_header(officer), real


@pytest.fixture
def as_reviewer(cases_under_test):
    _, real = cases_under_test
    return _token_header(make_user(Role.REVIEWER, username="fuzz.reviewer")), real


@functools.cache
def strategy(operation, mode):
    # Building a strategy from the schema is the slow part; each is built once and drawn from many times.
    return operation.as_strategy(generation_mode=mode)


def _fuzz(data, caller) -> None:
    """One example sends one request to every operation, each drawn valid or deliberately invalid."""
    headers, real = caller
    for operation in OPERATIONS:
        mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]), label="mode")
        case = data.draw(strategy(operation, mode), label=operation.label)
        for name, values in real.items():
            if name in (case.path_parameters or {}) and data.draw(st.booleans(), label=f"real {name}"):
                # A generated reference or number names nothing and meets the 404; a real one reaches the services.
                case.path_parameters[name] = data.draw(st.sampled_from(values), label=name)
        case.call_and_validate(headers=headers, checks=CHECKS)


# Bounded and repeatable: the same examples on every run, no example database, no shrinking of a failure (the
# failing request is printed as a curl command, which is what one needs to fix it).
FUZZ = settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@FUZZ
@given(data=st.data())
def test_officer_gets_no_500_and_answers_fit_the_schema(data, as_officer):
    _fuzz(data, as_officer)


@FUZZ
@given(data=st.data())
def test_reviewer_gets_no_500_and_answers_fit_the_schema(data, as_reviewer):
    _fuzz(data, as_reviewer)


# --- What the fuzzing found, pinned -----------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(officer):
    client = APIClient()
    client.force_authenticate(officer)
    response = client.generic("POST", "/api/v1/cases", b"{not json", "application/json")
    assert response.status_code == 400
    (message,) = response.json()["errors"]["non_field_errors"]
    assert "JSON parse error" in message


def test_a_draft_fits_the_schema_with_no_submission_time_or_decisive_date(officer):
    client = APIClient()
    client.force_authenticate(officer)
    created = client.post("/api/v1/cases", {}, format="json")
    assert created.status_code == 201
    assert created.json()["submitted_at"] is None
    listed = client.get("/api/v1/cases").json()["results"][0]
    assert listed["submitted_at"] is None and listed["decisive_date"] is None
    components = schema.raw_schema["components"]["schemas"]
    for name in ("Case", "CaseSummary"):
        assert "null" in components[name]["properties"]["submitted_at"]["type"]
    assert "null" in components["CaseSummary"]["properties"]["decisive_date"]["type"]
