"""What one call of the screening API asks of the database: the token, the rule set and the lists in force. The
disposition table is read only when a party matches an entry (most screenings match nothing)."""

import copy
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from .test_screening_interfaces import EXAMPLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    call_command("load_shipped_lists", "--only", "CN-CONTROL", stdout=io.StringIO())


def _screen(client, doc) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/screenings", doc, format="json")
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in ctx.captured_queries]


def test_no_match_reads_no_dispositions_and_a_match_reads_them(seeded, officer):
    client = APIClient()
    client.force_authenticate(officer)
    doc = json.loads((EXAMPLES / "e4-reexport-dy-oxide.case.json").read_text())
    _screen(client, doc)  # the first call loads the lists into this process

    determination, queries = _screen(client, doc)
    assert not determination["party_matches"]
    assert not [q for q in queries if "parties_disposition" in q]
    assert len(queries) <= 2, queries  # the rule set and the lists in force (authentication is forced here)

    listed = copy.deepcopy(doc)
    listed["parties"][0]["name"] = "Cubic Corporation"
    listed["parties"][0]["country"] = "US"
    determination, queries = _screen(client, listed)
    assert determination["party_matches"], determination
    assert len([q for q in queries if "parties_disposition" in q]) == 1
