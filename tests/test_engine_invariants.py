"""More properties of screening and of the case document, for any input (hypothesis), derandomized so CI runs the
same examples every time.

test_engine_properties covers order independence, monotonicity under added rules and suspensions, and the contract
shape of determinations. Here: the outcome is always a rung of the ladder and the highest of its reasons,
screening is deterministic and leaves its input alone, content shares are added as decimals exactly at a threshold,
and any case the services accept becomes a case document that validates against the contract."""

import copy
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from cases.casedoc import case_document
from cases.selectors import case_get_for_user
from cases.services import case_create
from screening.contract import validate
from screening.engine.ladder import OUTCOMES, RANK

from .factories import item_data, party_data
from .test_engine_properties import RULE_SET, cases, screen_document

CI = settings(max_examples=60, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))


@CI
@given(cases())
def test_outcome_is_a_rung_of_the_ladder_and_the_highest_of_its_reasons(doc):
    determination = screen_document(doc, RULE_SET)
    assert determination["outcome"] in OUTCOMES
    rungs = [reason["outcome"] for reason in determination["reasons"]]
    assert all(rung in OUTCOMES for rung in rungs)
    assert RANK[determination["outcome"]] == max((RANK[r] for r in rungs), default=0)


@CI
@given(cases())
def test_screening_is_deterministic_and_leaves_its_input_alone(doc):
    original = copy.deepcopy(doc)
    first = screen_document(doc, RULE_SET)
    assert doc == original
    again = screen_document(copy.deepcopy(doc), RULE_SET)
    assert json.dumps(first, sort_keys=True, default=str) == json.dumps(again, sort_keys=True, default=str)


def de_minimis_case(shares: list[float], destination: str) -> dict:
    """A Korean magnet with US-origin content in parts: the US de minimis rule (US-734-4) adds the parts up."""
    return {
        "decisive_date": "2026-01-10",
        "exporter": {"name": "Hanbit Magnet Co., Ltd.", "country": "KR"},
        "transaction": "export",
        "destination_country": destination,
        "items": [
            {
                "description": "SmCo magnets",
                "kind": "goods",
                "value": {"amount": "1000", "currency": "USD"},
                "elements": [{"element": "Sm", "form": "magnet"}],
                "produced_in": "KR",
                "origin_country": "KR",
                "deep_processed": False,
                "content": [{"origin_country": "US", "value_share": share} for share in shares],
            }
        ],
        "parties": [],
        "end_use": {"categories": ["civil"], "authority_notified": False},
    }


@st.composite
def split(draw, total_units: int) -> list[int]:
    """`total_units` ten-thousandths cut into one to four positive parts."""
    cuts = draw(st.lists(st.integers(1, total_units - 1), max_size=3, unique=True))
    bounds = [0, *sorted(cuts), total_units]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def fires(doc: dict) -> bool:
    return any(r["rule"] == "US-734-4" for r in screen_document(doc, RULE_SET)["reasons"])


@CI
@given(st.sampled_from([("DE", 2500), ("SY", 1000)]).flatmap(lambda t: st.tuples(st.just(t[0]), split(t[1]))))
def test_content_shares_add_up_exactly_at_the_threshold(case):
    """Parts that add up to exactly the threshold (25 %, or 10 % for the E:1 group) do not exceed it, however they
    are cut — as floats 0.1 + 0.15 + … would drift — and one ten-thousandth more does."""
    destination, parts = case
    shares = [float(Decimal(units) / 10000) for units in parts]
    assert not fires(de_minimis_case(shares, destination))
    shares[-1] = float(Decimal(parts[-1] + 1) / 10000)
    assert fires(de_minimis_case(shares, destination))


# --- The case document, from whatever the services accept ------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2, allow_nan=False, allow_infinity=False)
fractions = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
countries = st.sampled_from(["CN", "DE", "US", "KR", "SG", "IN", "VN", "JP"])
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)


@st.composite
def service_items(draw) -> dict:
    kind = draw(st.sampled_from(["goods", "technology", "software"]))
    overrides = {
        "kind": kind,
        "description": draw(text),
        "produced_in": draw(countries),
        "quantity_amount": draw(st.none() | amounts),
        "value_amount": draw(st.none() | amounts),
        "value_currency": draw(st.sampled_from(["USD", "EUR", "CNY"])),
        "elements": [
            {"element": e, "form": f, "mass_fraction": draw(st.none() | fractions)}
            for e, f in draw(
                st.lists(
                    st.tuples(st.sampled_from(["Dy", "Tb", "Sm", "Nd"]), st.sampled_from(["magnet", "oxide", "metal"])),
                    max_size=2,
                    unique=True,
                )
            )
        ],
        "content": [
            {"origin_country": c, "value_share": draw(fractions.filter(lambda d: d > 0))}
            for c in draw(st.lists(countries, max_size=2, unique=True))
        ],
    }
    return item_data(**overrides)


@st.composite
def service_cases(draw) -> dict:
    return {
        "licence_type": draw(st.sampled_from(["single", "general"])),
        "transaction": draw(st.sampled_from(["export", "reexport", "in_country_transfer"])),
        "destination_country": draw(countries),
        "decisive_date": date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 800))),
        "end_use_categories": draw(st.lists(st.sampled_from(["civil", "military", "humanitarian"]), unique=True)),
        "end_use_description": draw(text),
        "items": draw(st.lists(service_items(), min_size=1, max_size=3)),
        "parties": [
            party_data(name=draw(text), country=draw(countries), role=role)
            for role in draw(st.lists(st.sampled_from(["end_user", "consignee", "purchaser"]), max_size=3, unique=True))
        ],
    }


@pytest.mark.django_db
@settings(CI, max_examples=25)
@given(data=service_cases())
def test_any_case_the_services_accept_makes_a_valid_case_document(officer, data):
    try:
        case = case_create(organisation=officer.organisation, filed_by=officer, data=copy.deepcopy(data))
    except ValidationError:
        reject()
    doc = case_document(case_get_for_user(user=officer, reference=case.reference))
    assert validate("case", doc) == {}
    # The facts arrive as they were given: decimals exact, nothing dropped or added.
    assert doc["destination_country"] == data["destination_country"]
    assert len(doc["items"]) == len(data["items"])
    for given_item, item in zip(data["items"], doc["items"], strict=True):
        if given_item["value_amount"] is not None:
            assert Decimal(item["value"]["amount"]) == given_item["value_amount"]
        assert sorted(Decimal(str(c["value_share"])) for c in item.get("content", [])) == sorted(
            c["value_share"] for c in given_item["content"]
        )
