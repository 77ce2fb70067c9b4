"""The screening engine over the seeded rule set: the brief's worked examples and many more.

Each row: a case document, the outcome expected, the rules expected to fire and to be suppressed (with why).
The engine is pure, so these tests need no database."""

import json
from pathlib import Path

import pytest

from screening.contract import validate
from screening.engine import compile_rule_set
from screening.engine import screen_document as engine_screen

from .engine_cases import CN, DE, JP, KR, SG, case, item, party
from .shipped_lists import cn_matcher

SEED = Path(__file__).resolve().parent.parent / "screening" / "seed" / "rulepack.json"


@pytest.fixture(scope="module")
def rs():
    return compile_rule_set(json.loads(SEED.read_text()))


def screen_document(doc, rule_set, **kwargs):
    """The engine with the Chinese lists the product ships, as the product screens."""
    return engine_screen(doc, rule_set, matcher=cn_matcher(rule_set), **kwargs)


def fired(d):
    return sorted({r["rule"] for r in d["reasons"]})


def suppressed(d):
    return sorted({(s["rule"], s["why"]) for s in d["suppressed"]})


DY_MAGNET = item()
TB_MAGNET = item("Tb-containing sintered NdFeB magnets", elements=[{"element": "Tb", "form": "magnet"}])
HO_OXIDE = item("Holmium oxide 99.9 %", elements=[{"element": "Ho", "form": "oxide"}])
DY_OXIDE_CN = item(
    "Dysprosium oxide, Chinese origin, original drums",
    produced_in="CN",
    origin_country="CN",
    elements=[{"element": "Dy", "form": "oxide", "mass_fraction": 0.87}],
)
SINTERING_TECH = {
    "description": "NdFeB sintering process parameters",
    "kind": "technology",
    "technology_area": "magnet_manufacturing",
    "value": {"amount": "250000", "currency": "USD"},
}
GALLIUM = item("Gallium metal 6N", elements=[{"element": "Ga", "form": "metal"}])
PLAIN_NDFEB = item("Sintered NdFeB magnets, no Dy or Tb", elements=[{"element": "Nd", "form": "magnet"}])


def smco_korea(share, technology_origin=None):
    it = item(
        "Sintered SmCo magnets, grade 2:17",
        produced_in="KR",
        elements=[{"element": "Sm", "form": "magnet", "mass_fraction": 0.25}],
        content=[
            {"control_code": "1C902.a", "element": "Sm", "form": "metal", "origin_country": "CN", "value_share": share}
        ],
    )
    if technology_origin:
        it["technology_origin"] = technology_origin
    return it


# (id, document, outcome, fired rules, suppressed (rule, why))
EXAMPLES = [
    # The brief's worked examples E1-E9.
    (
        "E1 Ann.18 day before",
        case("2025-04-03", CN, "DE", [DY_MAGNET]),
        "no_licence_required",
        [],
        [("CN-18-1", "not_yet_in_force")],
    ),
    ("E2 Ann.18 first day", case("2025-04-04", CN, "DE", [DY_MAGNET]), "licence_required", ["CN-18-1"], []),
    (
        "E3 holmium suspended",
        case(
            "2025-11-12",
            CN,
            "US",
            [HO_OXIDE],
            [party("Iowa State University", "US", category="academic")],
            ("basic_research",),
        ),
        "no_licence_required",
        [],
        [("CN-57-1", "suspended")],
    ),
    (
        "E4 re-export",
        case(
            "2025-10-15",
            SG,
            "IN",
            [DY_OXIDE_CN],
            [party("Pune Magnetics Private Limited", "IN")],
            transaction="reexport",
        ),
        "licence_required",
        ["CN-61-1-3"],
        [],
    ),
    (
        "E5 content suspended",
        case("2025-11-20", KR, "VN", [smco_korea(0.005)]),
        "no_licence_required",
        [],
        [("CN-61-1-1", "suspended")],
    ),
    ("E6 technology", case("2025-10-20", CN, "VN", [SINTERING_TECH]), "licence_required", ["CN-62-1E902A"], []),
    (
        "E7 gallium to US",
        case("2025-06-01", CN, "US", [GALLIUM], [party("Ohio Semiconductor Supply", "US")]),
        "presumption_of_denial",
        ["CN-46-2"],
        [],
    ),
    (
        "E8 Control List end user",
        case("2025-05-01", CN, "US", [TB_MAGNET], [party("Cubic Corporation", "US")]),
        "prohibited",
        ["CN-18-1", "CN-LIST-CONTROL"],
        [],
    ),
    (
        "E9 public domain",
        case(
            "2025-10-15",
            CN,
            "US",
            [
                dict(
                    SINTERING_TECH,
                    technology_area="smelting_separation",
                    public_domain=True,
                    description="Separation research published in an open journal",
                )
            ],
        ),
        "no_licence_required",
        ["CN-62-EXCL"],
        [("CN-62-1E902A", "excluded")],
    ),
    # Dates: Ann. 61 §1(3) starts 2025-10-09; Ann. 70 suspends it from 2025-11-07 to 2026-11-10 inclusive.
    (
        "61-1-3 day before",
        case("2025-10-08", SG, "IN", [DY_OXIDE_CN], transaction="reexport"),
        "no_licence_required",
        [],
        [("CN-61-1-3", "not_yet_in_force")],
    ),
    (
        "61-1-3 last day before suspension",
        case("2025-11-06", SG, "IN", [DY_OXIDE_CN], transaction="reexport"),
        "licence_required",
        ["CN-61-1-3"],
        [],
    ),
    (
        "61-1-3 first suspended day",
        case("2025-11-07", SG, "IN", [DY_OXIDE_CN], transaction="reexport"),
        "no_licence_required",
        [],
        [("CN-61-1-3", "suspended")],
    ),
    (
        "61-1-3 last suspended day",
        case("2026-11-10", SG, "IN", [DY_OXIDE_CN], transaction="reexport"),
        "no_licence_required",
        [],
        [("CN-61-1-3", "suspended")],
    ),
    (
        "61-1-3 back after suspension",
        case("2026-11-11", SG, "IN", [DY_OXIDE_CN], transaction="reexport"),
        "licence_required",
        ["CN-61-1-3"],
        [],
    ),
    # The 0.1 % boundary (≥) and the content rule after the suspension.
    ("61-1-1 at 0.1 %", case("2026-11-11", KR, "VN", [smco_korea(0.001)]), "licence_required", ["CN-61-1-1"], []),
    ("61-1-1 below 0.1 %", case("2026-11-11", KR, "VN", [smco_korea(0.00099)]), "no_licence_required", [], []),
    (
        "61-1-1 not to China",
        case("2026-11-11", KR, "CN", [smco_korea(0.5)], [party("Shanghai Buyer", "CN")]),
        "no_licence_required",
        [],
        [],
    ),
    (
        "61-1-2 Chinese technology",
        case("2026-11-11", KR, "VN", [smco_korea(0.0, technology_origin="CN")]),
        "licence_required",
        ["CN-61-1-2"],
        [],
    ),
    # Domestic versus foreign exporters: Ann. 18 binds Chinese exporters only.
    (
        "Ann.18 foreign exporter",
        case("2025-06-01", DE, "US", [item(produced_in="DE")], [party("Detroit Motors", "US")]),
        "no_licence_required",
        [],
        [],
    ),
    ("Ann.61 domestic exporter", case("2026-11-11", CN, "VN", [smco_korea(0.5)]), "licence_required", ["CN-18-1"], []),
    # Several items where only one fires.
    (
        "one of three fires",
        case("2025-06-01", CN, "DE", [PLAIN_NDFEB, DY_MAGNET, item("Copper wire", elements=[])]),
        "licence_required",
        ["CN-18-1"],
        [],
    ),
    ("plain NdFeB is not listed", case("2025-06-01", CN, "DE", [PLAIN_NDFEB]), "no_licence_required", [], []),
    # FAQ exclusion for deep-processed products, in force from 2025-09-16.
    (
        "deep processed after FAQ",
        case(
            "2025-09-16",
            CN,
            "DE",
            [dict(DY_MAGNET, deep_processed=True, description="Rotor assembly with embedded Dy magnets")],
        ),
        "no_licence_required",
        ["CN-FAQ-DP"],
        [("CN-18-1", "excluded")],
    ),
    (
        "deep processed before FAQ",
        case("2025-09-15", CN, "DE", [dict(DY_MAGNET, deep_processed=True)]),
        "licence_required",
        ["CN-18-1"],
        [],
    ),
    # Ownership: a party owned 50 % by a Control List entity (Ann. 61 §2), for a foreign exporter.
    (
        "owner 50 % listed",
        case(
            "2025-10-15",
            SG,
            "IN",
            [DY_OXIDE_CN],
            [party("Mumbai Magnet Works", "IN", owners=[{"name": "Cubic Corp.", "country": "US", "share": 0.5}])],
            transaction="reexport",
        ),
        "presumption_of_denial",
        ["CN-61-1-3", "CN-61-2-LIST"],
        [],
    ),
    (
        "owner 49 % listed",
        case(
            "2025-10-15",
            SG,
            "IN",
            [DY_OXIDE_CN],
            [party("Mumbai Magnet Works", "IN", owners=[{"name": "Cubic Corp.", "country": "US", "share": 0.49}])],
            transaction="reexport",
        ),
        "licence_required",
        ["CN-61-1-3"],
        [],
    ),
    # Control List entries of Ann. 21 are suspended from 2025-11-10 (one year).
    (
        "Ann.21 party suspended",
        case("2025-11-10", CN, "US", [TB_MAGNET], [party("Cubic Corporation", "US")]),
        "licence_required",
        ["CN-18-1"],
        [("CN-LIST-CONTROL", "suspended")],
    ),
    (
        "Ann.22 party not suspended",
        case("2025-11-10", CN, "US", [TB_MAGNET], [party("Echodyne", "US")]),
        "prohibited",
        ["CN-18-1", "CN-LIST-CONTROL"],
        [],
    ),
    (
        "Control List needs a controlled item",
        case("2025-06-01", CN, "US", [item("Copper wire", elements=[])], [party("Echodyne Corp", "US")]),
        "no_licence_required",
        [],
        [],
    ),
    (
        "UEL needs no controlled item",
        case("2025-06-01", CN, "US", [item("Copper wire", elements=[])], [party("Shield AI, Inc.", "US")]),
        "prohibited",
        ["CN-UEL-1"],
        [],
    ),
    (
        "Watch List before listing",
        case("2026-02-23", CN, "JP", [DY_MAGNET], [party("TDK Corporation", "JP")]),
        "licence_required",
        ["CN-18-1"],
        [("CN-LIST-WATCH", "not_yet_in_force")],
    ),
    (
        "Watch List after listing",
        case("2026-02-24", CN, "JP", [DY_MAGNET], [party("TDK Corporation", "JP")]),
        "case_by_case",
        ["CN-18-1", "CN-LIST-WATCH"],
        [],
    ),
    # Ann. 46 §1: US military users; §2 suspended from 2025-11-09 to 2026-11-27.
    (
        "US military end user",
        case("2025-06-01", CN, "US", [DY_MAGNET], [party("US Army Materiel Command", "US", category="military")]),
        "prohibited",
        ["CN-18-1", "CN-46-1"],
        [],
    ),
    (
        "gallium during 46-2 suspension",
        case("2025-11-09", CN, "US", [GALLIUM]),
        "no_licence_required",
        [],
        [("CN-46-2", "suspended")],
    ),
    (
        "gallium after 46-2 suspension",
        case("2026-11-28", CN, "US", [GALLIUM]),
        "presumption_of_denial",
        ["CN-46-2"],
        [],
    ),
    (
        "Japanese military user 2026",
        case("2026-01-06", CN, "JP", [DY_MAGNET], [party("JGSDF Procurement", "JP", category="military")]),
        "prohibited",
        ["CN-1-2026-1", "CN-18-1"],
        [],
    ),
    (
        "Japanese military user 2025",
        case("2026-01-05", CN, "JP", [DY_MAGNET], [party("JGSDF Procurement", "JP", category="military")]),
        "licence_required",
        ["CN-18-1"],
        [("CN-1-2026-1", "not_yet_in_force")],
    ),
    # Ann. 61 §3-§5 for foreign exporters.
    (
        "61-3 military end use",
        case("2025-10-15", SG, "IN", [DY_OXIDE_CN], end_use=("military",), transaction="reexport"),
        "presumption_of_denial",
        ["CN-61-1-3", "CN-61-3"],
        [],
    ),
    (
        "61-4 advanced logic",
        case(
            "2025-10-15",
            SG,
            "TW",
            [DY_OXIDE_CN],
            [party("Hsinchu Fab", "TW")],
            end_use=("advanced_logic_14nm_or_below",),
            transaction="reexport",
        ),
        "case_by_case",
        ["CN-61-1-3", "CN-61-4"],
        [],
    ),
    (
        "61-5 humanitarian",
        case("2025-10-15", SG, "IN", [DY_OXIDE_CN], end_use=("humanitarian",), transaction="reexport"),
        "no_licence_required_report",
        ["CN-61-5"],
        [("CN-61-1-3", "excluded")],
    ),
    # Catch-alls.
    (
        "Ann.62 catch-all",
        case(
            "2025-10-20", CN, "VN", [item("Vacuum furnace", elements=[])], end_use=("rare_earth_magnet_manufacturing",)
        ),
        "licence_required",
        ["CN-62-2"],
        [],
    ),
    (
        "ECL Art.12 notified",
        case(
            "2025-06-01",
            CN,
            "DE",
            [item("Copper wire", elements=[])],
            end_use=("civil",),
        ),
        "no_licence_required",
        [],
        [],
    ),
    # Second and third regimes: US de minimis (> 25 %, > 10 % for E:1), EU Art. 4.
    (
        "US de minimis 25 % exactly",
        case(
            "2025-06-01",
            DE,
            "FR",
            [
                item(
                    "Controller board",
                    produced_in="DE",
                    elements=[],
                    content=[{"origin_country": "US", "value_share": 0.25}],
                )
            ],
            [party("Lyon Robotique", "FR")],
        ),
        "no_licence_required",
        [],
        [],
    ),
    (
        "US de minimis above 25 %",
        case(
            "2025-06-01",
            DE,
            "FR",
            [
                item(
                    "Controller board",
                    produced_in="DE",
                    elements=[],
                    content=[{"origin_country": "US", "value_share": 0.251}],
                )
            ],
            [party("Lyon Robotique", "FR")],
        ),
        "licence_required",
        ["US-734-4"],
        [],
    ),
    (
        "US de minimis E:1 above 10 %",
        case(
            "2025-06-01",
            JP,
            "SY",
            [
                item(
                    "Controller board",
                    produced_in="JP",
                    elements=[],
                    content=[{"origin_country": "US", "value_share": 0.11}],
                )
            ],
            [party("Damascus Trading", "SY")],
        ),
        "licence_required",
        ["US-734-4"],
        [],
    ),
    (
        "US de minimis E:1 at 10 %",
        case(
            "2025-06-01",
            JP,
            "SY",
            [
                item(
                    "Controller board",
                    produced_in="JP",
                    elements=[],
                    content=[{"origin_country": "US", "value_share": 0.10}],
                )
            ],
            [party("Damascus Trading", "SY")],
        ),
        "no_licence_required",
        [],
        [],
    ),
    (
        "EU Art.4 WMD",
        case(
            "2025-06-01",
            DE,
            "IN",
            [item("Vacuum pump", elements=[], produced_in="DE")],
            [party("Pune Labs", "IN")],
            ("wmd",),
        ),
        "licence_required",
        ["EU-4-1-A"],
        [],
    ),
    (
        "EU Art.4 notified",
        case(
            "2025-06-01",
            DE,
            "IN",
            [item("Vacuum pump", elements=[], produced_in="DE")],
            [party("Pune Labs", "IN")],
            ("civil",),
        )
        | {"end_use": {"categories": ["civil"], "authority_notified": True}},
        "licence_required",
        ["EU-4-1-A"],
        [],
    ),
    (
        "EU Art.4 military to embargoed",
        case(
            "2025-06-01",
            DE,
            "RU",
            [item("Vacuum pump", elements=[], produced_in="DE")],
            [party("Moscow Works", "RU")],
            ("military",),
        ),
        "licence_required",
        ["EU-4-1-B"],
        [],
    ),
    (
        "EU Art.4 binds EU exporters only",
        case("2025-06-01", CN, "IN", [item("Vacuum pump", elements=[])], [party("Pune Labs", "IN")], ("civil",)),
        "no_licence_required",
        [],
        [],
    ),
]


@pytest.mark.parametrize(("name", "doc", "outcome", "fires", "suppresses"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_worked_examples(rs, name, doc, outcome, fires, suppresses):
    assert validate("case", doc) == {}, "the test's own case document must be valid"
    d = screen_document(doc, rs)
    assert validate("determination", d) == {}
    assert (d["outcome"], fired(d), suppressed(d)) == (outcome, sorted(fires), sorted(suppresses))


@pytest.mark.parametrize("name", ["e4-reexport-dy-oxide", "e5-smco-magnet-korea"])
def test_contract_examples(rs, name):
    examples = SEED.parent.parent / "contract" / "examples"
    doc = json.loads((examples / f"{name}.case.json").read_text())
    expected = json.loads((examples / f"{name}.determination.json").read_text())
    d = screen_document(doc, rs)
    assert d["outcome"] == expected["outcome"]
    assert [(r["rule"], r["outcome"], r["citation"], r["item"], r["party"]) for r in d["reasons"]] == [
        (r["rule"], r["outcome"], r["citation"], r["item"], r["party"]) for r in expected["reasons"]
    ]
    assert [(s["rule"], s["why"], s["by"], s["until"], s["item"]) for s in d["suppressed"]] == [
        (s["rule"], s["why"], s["by"], s["until"], s["item"]) for s in expected["suppressed"]
    ]


def test_every_reason_names_rule_citation_and_what_it_fired_on(rs):
    d = screen_document(case("2025-05-01", CN, "US", [PLAIN_NDFEB, TB_MAGNET], [party("Cubic Corporation", "US")]), rs)
    by_rule = {r["rule"]: r for r in d["reasons"]}
    assert by_rule["CN-18-1"]["item"] == 1 and by_rule["CN-18-1"]["party"] is None
    assert by_rule["CN-18-1"]["citation"] == "MOFCOM/GAC Announcement No. 18 of 2025, §1"
    assert "1C904.a" in by_rule["CN-18-1"]["detail"]
    assert by_rule["CN-LIST-CONTROL"]["party"] == 0
    assert "Control List" in by_rule["CN-LIST-CONTROL"]["detail"]
    assert d["reasons"][0]["outcome"] == "prohibited", "highest outcome first"
    (match,) = d["party_matches"]
    assert {
        k: match[k]
        for k in ("party", "list", "list_name", "entry", "entry_name", "matched_name", "via_owner", "status")
    } == {
        "party": 0,
        "list": "CN-CONTROL",
        "list_name": "Control List",
        "entry": "CN-CONTROL-21-12",
        "entry_name": "Cubic Corporation",
        "matched_name": "Cubic Corporation",
        "via_owner": None,
        "status": "hit",
    }
    assert match["score"] == 1.0 and match["explanation"]["method"]
    assert match["details"]["programs"] == ["Control List"]


def test_suspended_reason_says_when_it_returns(rs):
    d = screen_document(case("2025-11-12", CN, "US", [HO_OXIDE]), rs)
    (s,) = d["suppressed"]
    assert s["by"] == "MOFCOM/GAC Announcement No. 70 of 2025"
    assert s["until"] == "2026-11-10" and s["returns_on"] == "2026-11-11"


def test_humanitarian_exception_carries_its_report_obligation(rs):
    d = screen_document(
        case("2025-10-15", SG, "IN", [DY_OXIDE_CN], end_use=("humanitarian",), transaction="reexport"), rs
    )
    assert d["obligations"] == [
        {"rule": "CN-61-5", "text": "Report the export to MOFCOM within 10 working days (Ann. 61 §5)."}
    ]


def test_jurisdictions_limit_the_regimes(rs):
    doc = case("2025-06-01", DE, "IN", [item("Vacuum pump", elements=[], produced_in="DE")], end_use=("wmd",))
    assert screen_document(doc, rs)["outcome"] == "licence_required"
    assert screen_document(dict(doc, jurisdictions=["CN"]), rs)["outcome"] == "no_licence_required"


def test_decisive_date_override(rs):
    from datetime import date

    doc = case("2025-04-03", CN, "DE", [DY_MAGNET])
    assert screen_document(doc, rs)["outcome"] == "no_licence_required"
    assert screen_document(doc, rs, decisive_date=date(2025, 4, 4))["outcome"] == "licence_required"
