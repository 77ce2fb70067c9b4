"""The OpenAPI schema: generated without a warning, valid, and true to the API's shape."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path):
    path = tmp_path / "schema.yaml"
    # --fail-on-warn turns any view or serializer the generator cannot describe into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_describes_every_endpoint(schema):
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert {
        ("/api/v1/auth/token", "post"),
        ("/api/v1/cases", "get"),
        ("/api/v1/cases", "post"),
        ("/api/v1/cases/{reference}", "get"),
        ("/api/v1/cases/{reference}", "put"),
        ("/api/v1/cases/{reference}", "patch"),
        ("/api/v1/cases/{reference}/documents", "get"),
        ("/api/v1/cases/{reference}/documents", "post"),
        ("/api/v1/cases/{reference}/documents/{document_id}", "get"),
        ("/api/v1/cases/{reference}/validate", "post"),
        ("/api/v1/cases/{reference}/submit", "post"),
        ("/api/v1/cases/{reference}/withdraw", "post"),
        ("/api/v1/cases/{reference}/copy", "post"),
        ("/api/v1/cases/{reference}/document", "get"),
    } <= operations


def test_schema_shows_amounts_as_strings_and_errors_by_path(schema):
    components = schema["components"]["schemas"]
    assert components["MoneyRequest"]["properties"]["amount"]["type"] == "string"
    # A share may be left out of an element, hence also null (OpenAPI 3.1 writes that as a list of types).
    assert components["ElementRequest"]["properties"]["mass_fraction"]["type"] == ["string", "null"]
    assert components["OwnerRequest"]["properties"]["share"]["type"] == "string"
    assert set(components["MoneyRequest"]["required"]) == {"amount", "currency"}
    create = schema["paths"]["/api/v1/cases"]["post"]
    assert set(create["responses"]) == {"201", "400", "403"}
    assert create["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationErrors")
    token = schema["paths"]["/api/v1/auth/token"]["post"]
    assert set(token["responses"]) == {"200", "400", "429"}


def test_docs_page_is_served(client):
    assert client.get("/api/docs/").status_code == 200
    response = client.get("/api/schema/")
    assert response.status_code == 200 and b"/api/v1/cases/{reference}/submit" in response.content
