"""The screening contract's doors: `manage.py screen`, POST /api/v1/screenings, and screening on submission."""

import io
import json
import sys

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_submit
from screening.contract import validate
from screening.models import Screening
from screening.services import case_screen

from .engine_cases import CN, case
from .factories import make_case

pytestmark = pytest.mark.django_db

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "screening" / "contract" / "examples"


@pytest.fixture
def seeded(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    call_command("load_shipped_lists", "--only", "CN-CONTROL", "CN-WATCH", "CN-UEL", stdout=io.StringIO())


def screen_cli(monkeypatch, text: str, *args):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("screen", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_screen_one_document_from_a_file(seeded):
    out = io.StringIO()
    call_command("screen", str(EXAMPLES / "e4-reexport-dy-oxide.case.json"), stdout=out)
    d = json.loads(out.getvalue())
    assert validate("determination", d) == {}
    assert d["outcome"] == "licence_required" and d["reasons"][0]["rule"] == "CN-61-1-3"
    assert d["rule_set"]["version"] == "2026.1" and d["rule_set"]["published_at"]


def test_screen_array_and_jsonl(seeded, monkeypatch):
    docs = [case("2025-04-03", CN, "DE"), case("2025-04-04", CN, "DE")]
    code, out, err = screen_cli(monkeypatch, json.dumps(docs))
    assert code == 0 and err == ""
    assert [d["outcome"] for d in json.loads(out)] == ["no_licence_required", "licence_required"]
    code, out, err = screen_cli(monkeypatch, "\n".join(json.dumps(d) for d in docs) + "\n", "--jsonl")
    assert code == 0
    assert [json.loads(line)["outcome"] for line in out.splitlines()] == ["no_licence_required", "licence_required"]


def test_screen_date_override(seeded, monkeypatch):
    code, out, _ = screen_cli(monkeypatch, json.dumps(case("2025-04-03", CN, "DE")), "--date", "2025-04-04")
    assert code == 0 and json.loads(out)["outcome"] == "licence_required"


@pytest.mark.parametrize(
    ("mutate", "line"),
    [
        (lambda d: d["items"][0]["value"].update(amount="12,5"), "items[0].value.amount: not a decimal number"),
        (lambda d: d["items"][0].update(colour="red"), "items[0].colour: unknown key"),
        (lambda d: d.pop("decisive_date"), "decisive_date: required field is missing"),
        (lambda d: d.update(destination_country="XX"), "destination_country: not an ISO 3166-1 alpha-2 country code"),
        (lambda d: d.update(destination_country="de"), "destination_country: not an ISO 3166-1 alpha-2 country code"),
        (
            lambda d: d["items"][0]["elements"][0].update(mass_fraction=1.5),
            "items[0].elements[0].mass_fraction: must be at most 1",
        ),
        (lambda d: d.update(decisive_date="2025-02-30"), "decisive_date: not a valid date"),
    ],
)
def test_screen_invalid_input_exits_2_with_paths(seeded, monkeypatch, mutate, line):
    doc = case()
    mutate(doc)
    code, out, err = screen_cli(monkeypatch, json.dumps(doc))
    assert code == 2 and out == ""
    assert line in err.splitlines()


def test_screen_array_skips_only_the_invalid_documents(seeded, monkeypatch):
    bad = case()
    bad["items"][0]["value"]["amount"] = "-1"
    code, out, err = screen_cli(monkeypatch, json.dumps([case(), bad]))
    assert code == 2
    assert len(json.loads(out)) == 1
    assert err.splitlines() == ["[1].items[0].value.amount: not a decimal number"]


def test_screen_jsonl_reports_line_numbers(seeded, monkeypatch):
    code, out, err = screen_cli(monkeypatch, json.dumps(case()) + "\n{not json\n", "--jsonl")
    assert code == 2 and len(out.splitlines()) == 1
    assert err.startswith("line 2: $: invalid JSON")


def test_screen_unknown_rule_set(seeded, monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(case())))
    with pytest.raises(CommandError, match="No published rule set 'nope'"):
        call_command("screen", "--rule-set", "nope")


def test_api_screening(seeded, officer):
    client = APIClient()
    client.force_authenticate(officer)
    doc = json.loads((EXAMPLES / "e5-smco-magnet-korea.case.json").read_text())
    response = client.post("/api/v1/screenings", doc, format="json")
    assert response.status_code == 200
    d = response.json()
    assert validate("determination", d) == {}
    assert d["outcome"] == "no_licence_required"
    assert d["suppressed"][0]["rule"] == "CN-61-1-1" and d["suppressed"][0]["until"] == "2026-11-10"
    assert Screening.objects.count() == 0, "the API stores nothing"


def test_api_screening_errors(seeded, officer):
    client = APIClient()
    client.force_authenticate(officer)
    doc = case()
    doc["items"][0]["value"]["amount"] = "12,5"
    doc["parties"][0]["owners"] = [{"name": "X", "share": 1.2}]
    response = client.post("/api/v1/screenings", doc, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "items[0].value.amount": ["not a decimal number"],
            "parties[0].owners[0].share": ["must be at most 1"],
        }
    }
    response = client.post("/api/v1/screenings", "{oops", content_type="application/json")
    assert response.status_code == 400 and "$" in response.json()["errors"]
    response = client.post("/api/v1/screenings?rule_set=nope", case(), format="json")
    assert response.status_code == 400 and "?rule_set" in response.json()["errors"]


def test_api_screening_needs_authentication(seeded):
    assert APIClient().post("/api/v1/screenings", case(), format="json").status_code == 401


def test_submission_is_screened_after_commit(seeded, officer, django_capture_on_commit_callbacks):
    draft = make_case(
        officer,
        items=[
            {
                "kind": "goods",
                "description": "Tb-containing sintered NdFeB magnets",
                "produced_in": "CN",
                "quantity_amount": 100,
                "quantity_unit": "kg",
                "value_amount": 50000,
                "value_currency": "USD",
                "elements": [{"element": "Tb", "form": "magnet", "mass_fraction": "0.01"}],
                "content": [],
            }
        ],
        parties=[
            {"role": "end_user", "name": "Cubic Corporation", "country": "US", "category": "commercial", "owners": []}
        ],
        destination_country="US",
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=draft, actor=officer)
    screening = Screening.objects.get(case=draft)
    assert screening.outcome == "prohibited"
    assert {r["rule"] for r in screening.determination["reasons"]} == {"CN-18-1", "CN-LIST-CONTROL"}
    assert Case.objects.get(pk=draft.pk).status == "screened"
    assert AuditEvent.objects.filter(case=draft, verb="case.screened").exists()
    # Running the task again for the same facts and rules stores nothing new.
    again = case_screen(case_id=draft.pk)
    assert again.pk == screening.pk and Screening.objects.filter(case=draft).count() == 1


def test_case_page_shows_outcome_reasons_suppressed_and_version(
    seeded, officer, reviewer, client, django_capture_on_commit_callbacks
):
    from datetime import date

    draft = make_case(officer, decisive_date=date(2025, 4, 3))  # Ann. 18 is not yet in force
    client.force_login(officer)
    assert "The case is screened when it is submitted." in client.get(f"/cases/{draft.reference}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=draft, actor=officer)
    for user in (officer, reviewer):
        client.force_login(user)
        page = client.get(f"/cases/{draft.reference}/").content.decode()
        assert "No licence required" in page
        assert "Rule set 2026.1" in page
        assert "CN-18-1" in page and "not yet in force" in page
        assert "MOFCOM/GAC Announcement No. 18 of 2025" in page


def _port_nobody_listens_on() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down(settings):
    """Tasks go to a Redis broker at an address where nothing listens, as while Redis is down. The app's
    connection and producer pools are made anew for that address, and the ones in use before are put back
    untouched afterwards (Celery's pools are kombu's process-wide ones: closing them would break later tests)."""
    from config.celery import app

    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_timeout)
    pools = (app._pool, app.amqp._producer_pool)
    app.conf.broker_url = f"redis://127.0.0.1:{_port_nobody_listens_on()}/0"
    app.conf.task_always_eager = False
    app.conf.broker_connection_timeout = 1
    app._pool = app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_timeout = previous
    app._pool, app.amqp._producer_pool = pools


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_leaves_the_submission_standing_and_unscreened(officer, broker_down, caplog):
    # Real commits: the enqueue is the submission's on_commit callback, which Django runs (robustly) after the
    # COMMIT, so the case is already submitted when the broker refuses the task.
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    draft = make_case(officer)
    client = APIClient()
    client.force_authenticate(officer)
    response = client.post(f"/api/v1/cases/{draft.reference}/submit", {}, format="json", secure=True)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.submitted_at is not None
    assert not Screening.objects.filter(case=draft).exists()
    assert AuditEvent.objects.filter(case=draft, verb="case.submit").count() == 1
    # The failure is logged for the operators, not lost.
    assert any("on_commit" in r.getMessage() or r.exc_info for r in caplog.records if r.levelname == "ERROR")
