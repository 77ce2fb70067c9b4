"""Parties in the workflow: review band, dispositions that hold until the entry changes, potential matches
raised on screening and on list updates (delta re-screening with the OFAC SDN pair), and the US list rule."""

import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from cases.casedoc import case_document
from cases.selectors import case_get_for_user
from cases.services import case_submit
from parties.models import Disposition, PotentialMatch
from parties.screening import load_list, make_matcher
from parties.services import DispositionRefused, list_import, potential_match_dispose, potential_matches_raise
from screening.engine import compile_rule_set, screen_document
from screening.interface import screen
from screening.models import Screening
from screening.selectors import rule_set_in_force

from .engine_cases import CN, DE, case, item, party
from .factories import make_case, party_data

ROOT = Path(__file__).resolve().parent.parent
SDN_APRIL = ROOT / "tests" / "data" / "lists" / "ofac_sdn_2024" / "sdn_2024-04-02.csv.gz"
SDN_MAY = ROOT / "tests" / "data" / "lists" / "ofac_sdn_2024" / "sdn_2024-05-03.csv.gz"
RULES = compile_rule_set(json.loads((ROOT / "screening" / "seed" / "rulepack.json").read_text()))
CONTROL = [
    {
        "entry_id": "C1",
        "kind": "entity",
        "name": "Cubic Corporation",
        "countries": ["US"],
        "instrument": "CN-ANN-21-2025",
        "listed_from": "2025-04-04",
        "content_hash": "h1",
    }
]
TB_MAGNET = item("Tb-containing NdFeB magnets", elements=[{"element": "Tb", "form": "magnet"}])


def matcher(records=CONTROL, dispositions=None, match=0.84, review=0.75):
    lst = load_list(
        key="CN-CONTROL", name="Control List", records=records, match_threshold=match, review_threshold=review
    )
    return make_matcher([lst], RULES, dispositions)


def test_a_hit_fires_the_list_rule_and_carries_its_explanation():
    d = screen_document(
        case("2025-05-01", CN, "US", [TB_MAGNET], [party("Cubic Corp.", "US")]), RULES, matcher=matcher()
    )
    assert d["outcome"] == "prohibited"
    (m,) = d["party_matches"]
    assert m["status"] == "hit" and m["entry"] == "C1" and m["explanation"]["matched_name"] == "Cubic Corporation"


def test_a_potential_match_in_the_review_band_fires_no_rule():
    # The same pair, with the list's hit threshold above its score: only a potential match for review.
    d = screen_document(
        case("2025-05-01", CN, "US", [TB_MAGNET], [party("Cubik Corp", "US")]),
        RULES,
        matcher=matcher(match=0.999, review=0.5),
    )
    assert d["outcome"] == "licence_required"
    assert [m["status"] for m in d["party_matches"]] == ["review"]
    assert "CN-LIST-CONTROL" not in {r["rule"] for r in d["reasons"]}


def test_a_false_positive_is_not_raised_again_until_the_entry_changes():
    doc = case("2025-05-01", CN, "US", [TB_MAGNET], [party("Cubic Corporation", "US")])

    def decided(party_key, country, list_key, entry_id, entry_hash):
        return "false_positive" if (party_key, entry_id, entry_hash) == ("cubic", "C1", "h1") else None

    assert screen_document(doc, RULES, matcher=matcher(dispositions=decided))["party_matches"] == []
    changed = [dict(CONTROL[0], content_hash="h2")]
    again = screen_document(doc, RULES, matcher=matcher(changed, dispositions=decided))
    assert [m["entry"] for m in again["party_matches"]] == ["C1"]


def test_a_confirmed_true_match_fires_even_from_the_review_band():
    doc = case("2025-05-01", CN, "US", [TB_MAGNET], [party("Cubik Corp", "US")])
    confirmed = matcher(match=0.999, review=0.5, dispositions=lambda *key: "true_match")
    d = screen_document(doc, RULES, matcher=confirmed)
    assert d["outcome"] == "prohibited" and d["party_matches"][0]["status"] == "hit"


@pytest.fixture
def seeded(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


@pytest.mark.django_db
def test_csl_hit_shows_the_entrys_licence_requirement_and_fires_the_us_rule(seeded):
    call_command("load_shipped_lists", "--only", "US-CSL", stdout=io.StringIO())
    doc = case(
        "2025-06-01",
        DE,
        "RU",
        [
            item(
                "Controller board",
                produced_in="DE",
                elements=[],
                content=[{"origin_country": "US", "value_share": 0.3}],
            )
        ],
        [party("27th Scientific Centre of the Russian Ministry of Defence", "RU")],
    )
    d = screen(doc, version=rule_set_in_force())
    hits = [m for m in d["party_matches"] if m["status"] == "hit"]
    assert hits, d["party_matches"]
    assert any(m["details"].get("license_requirement") for m in hits)
    assert {"US-734-4", "US-744-LISTED"} <= {r["rule"] for r in d["reasons"]}


@pytest.mark.django_db
def test_potential_matches_are_raised_once_and_disposed_with_a_reason(
    seeded, officer, reviewer, auditor, django_capture_on_commit_callbacks
):
    list_import(list_key="OFAC-SDN", fmt="ofac-sdn", paths=[SDN_APRIL], actor=None, effective_from=date(2024, 4, 2))
    draft = make_case(
        officer,
        decisive_date=date(2026, 12, 1),
        parties=[party_data(name="Bahman Group", country="IR"), party_data(role="consignee")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=draft, actor=officer)
    screening = Screening.objects.get(case=draft)
    potential_matches_raise(case=draft, determination=screening.determination)
    potential_matches_raise(case=draft, determination=screening.determination)  # twice: raised once
    (match,) = PotentialMatch.objects.filter(case=draft)
    assert (match.entry_id, match.status, match.party_name) == ("25068", "open", "Bahman Group")

    with pytest.raises(DispositionRefused):
        potential_match_dispose(match=match, actor=auditor, decision="false_positive", reason="x")
    with pytest.raises(DispositionRefused):
        potential_match_dispose(match=match, actor=reviewer, decision="false_positive", reason=" ")
    potential_match_dispose(
        match=match,
        actor=reviewer,
        decision="false_positive",
        reason="Different company: Bahman Group Tehran is an automaker; ours is a Dubai trader.",
    )
    match.refresh_from_db()
    assert match.status == "disposed" and match.disposition.decided_by == reviewer
    assert AuditEvent.objects.filter(verb="party_match.disposed", case=draft).exists()
    with pytest.raises(DispositionRefused, match="a moment ago"):
        potential_match_dispose(match=match, actor=reviewer, decision="true_match", reason="changed my mind")

    # Screening the same facts again no longer reports the disposed entry.
    doc = case_document(case_get_for_user(user=reviewer, reference=draft.reference))
    assert "25068" not in {m["entry"] for m in screen(doc, version=rule_set_in_force())["party_matches"]}


@pytest.mark.django_db
def test_delta_rescreening_with_the_sdn_pair(seeded, officer, reviewer, django_capture_on_commit_callbacks):
    list_import(list_key="OFAC-SDN", fmt="ofac-sdn", paths=[SDN_APRIL], actor=None, effective_from=date(2024, 4, 2))
    draft = make_case(
        officer,
        decisive_date=date(2026, 12, 1),
        parties=[
            party_data(name="Wuhan Global Sensor Technology Co., Ltd.", country="CN"),  # added in May
            party_data(role="consignee", name="Bahman Group", country="IR"),  # changed in May
            party_data(role="purchaser", name="Minsk Wheel Tractor Plant", country="BY"),  # changed in May
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=draft, actor=officer)
    potential_matches_raise(case=draft, determination=Screening.objects.get(case=draft).determination)
    before = {m.entry_id: m for m in PotentialMatch.objects.filter(case=draft)}
    assert set(before) == {"25068", "34769"}
    potential_match_dispose(match=before["25068"], actor=reviewer, decision="false_positive", reason="another firm")

    with django_capture_on_commit_callbacks(execute=True):
        summary = list_import(
            list_key="OFAC-SDN", fmt="ofac-sdn", paths=[SDN_MAY], actor=None, effective_from=date(2024, 5, 3)
        )
    assert (len(summary.added), len(summary.removed), len(summary.changed)) == (417, 12, 11)
    new = PotentialMatch.objects.filter(case=draft, origin="list_update")
    # The added entry is found; the changed entries come back (their content changed), the disposed one too.
    assert {m.entry_id for m in new} == {"46633", "25068", "34769"}
    assert all(m.list_version == summary.version for m in new)
    assert Disposition.objects.count() == 1
    assert AuditEvent.objects.filter(verb="case.party_match_raised", case=draft).count() == 3


@pytest.mark.django_db
def test_match_names_command(monkeypatch):
    import sys

    list_import(
        list_key="UN-SC",
        fmt="un-xml",
        paths=[ROOT / "tests" / "data" / "lists" / "un_consolidated_2026-02-27.xml.gz"],
        actor=None,
    )
    lines = [
        json.dumps({"name": "Eric Badege", "country": "CD"}),
        json.dumps({"name": "Badege, Erik"}),
        json.dumps({"name": "Completely Unrelated Bakery"}),
        "{broken",
        json.dumps({"name": ""}),
        json.dumps({"name": "X", "country": "Congo"}),
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("match_names", "--list", "UN-SC", stdout=out, stderr=err)
    assert info.value.code == 2
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["query"] for r in results] == ["Eric Badege", "Badege, Erik", "Completely Unrelated Bakery"]
    assert results[0]["matches"][0]["name"] == "ERIC BADEGE" and results[0]["matches"][0]["list"] == "UN-SC"
    assert results[1]["matches"][0]["entry_id"] == results[0]["matches"][0]["entry_id"]
    assert results[2]["matches"] == []
    assert set(results[0]["matches"][0]) == {"list", "entry_id", "name", "score", "matched_name"}
    assert err.getvalue().splitlines() == [
        "line 4: invalid JSON: Expecting property name enclosed in double quotes",
        'line 5: name: a non-empty string is required ({"name": …, "country": …})',
        "line 6: country: not an ISO 3166-1 alpha-2 code",
    ]


@pytest.mark.django_db
def test_reviewer_disposes_of_a_match_in_the_browser(
    seeded, officer, other_officer, reviewer, auditor, client, django_capture_on_commit_callbacks
):
    list_import(list_key="OFAC-SDN", fmt="ofac-sdn", paths=[SDN_APRIL], actor=None, effective_from=date(2024, 4, 2))
    draft = make_case(officer, decisive_date=date(2026, 12, 1), parties=[party_data(name="Bahman Group", country="IR")])
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=draft, actor=officer)
    potential_matches_raise(case=draft, determination=Screening.objects.get(case=draft).determination)
    match = PotentialMatch.objects.get(case=draft)
    page = f"/cases/{draft.reference}/"
    url = f"/cases/{draft.reference}/party-matches/{match.pk}/"

    client.force_login(reviewer)
    assert "Restricted-party matches to dispose of" in client.get(page).content.decode()
    body = client.get(url).content.decode()
    assert "BAHMAN GROUP" in body and "Record the decision" in body
    response = client.post(url, {"decision": "false_positive", "reason": "  "})
    assert response.status_code == 200 and "Give the reason for the decision." in response.content.decode()
    assert PotentialMatch.objects.get(pk=match.pk).status == "open"
    response = client.post(url, {"decision": "false_positive", "reason": "Different firm, different country."})
    assert response.status_code == 302
    assert PotentialMatch.objects.get(pk=match.pk).status == "disposed"

    client.force_login(auditor)
    assert client.get(url).status_code == 200
    assert client.post(url, {"decision": "true_match", "reason": "x"}).status_code == 403
    client.force_login(officer)
    assert "Restricted-party matches to dispose of" not in client.get(page).content.decode()
    assert client.get(url).status_code == 403
    client.force_login(other_officer)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_screening_a_submitted_case_raises_its_party_matches(seeded, officer, django_capture_on_commit_callbacks):
    call_command("load_shipped_lists", "--only", "CN-CONTROL", stdout=io.StringIO())
    draft = make_case(
        officer,
        decisive_date=date(2025, 6, 1),
        destination_country="US",
        parties=[party_data(name="Cubic Corp", country="US")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=draft, actor=officer)
    (match,) = PotentialMatch.objects.filter(case=draft)
    assert (match.entry_name, match.band, match.origin, match.status) == (
        "Cubic Corporation",
        "hit",
        "screening",
        "open",
    )
    assert AuditEvent.objects.filter(case=draft, verb="case.party_matches_raised").count() == 1
