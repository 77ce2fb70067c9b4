"""The contract's two validators agree: jsonschema-rs answers "valid or not" on the hot path, jsonschema writes
the messages. A document the quick check lets through must be one jsonschema finds no fault in, and the other
way round, or the API would accept what the contract refuses (or refuse with no message)."""

import copy
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.contract import _quick_check, _validator, validate

from .test_engine_properties import cases

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "screening" / "contract" / "examples").glob("*.json"))

# Values that break one rule or another of the case schema somewhere (types, formats, patterns, enums, bounds).
ODD_VALUES = st.sampled_from(
    [
        None,
        "",
        "x",
        "ZZ",
        "cn",
        "2025-02-30",
        "2025-6-1",
        "20250601",
        "1.5",
        "-1",
        "0.5",
        -1,
        0,
        1,
        2,
        10**30,
        1.5,
        -0.25,
        Decimal("0.5"),
        Decimal("1.0000"),
        Decimal("-3"),
        True,
        False,
        [],
        {},
        ["civil"],
        {"amount": "1", "unit": "kg"},
    ]
)


def _paths(value, prefix=()):
    """Every path into a JSON value (dict keys and list indices), the value itself included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@st.composite
def mutated_cases(draw):
    doc = copy.deepcopy(draw(cases()))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(ODD_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["unexpected", "note", "extra_field"]))] = draw(ODD_VALUES)
        else:
            parent.append(draw(ODD_VALUES))
        if not doc:
            break
    return doc


def _agree(name: str, document) -> None:
    reference = not any(True for _ in _validator(name).iter_errors(document))
    assert _quick_check(name).is_valid(document) == reference, json.dumps(document, default=str)[:2000]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_generated_cases_are_valid_for_both(doc):
    _agree("case", doc)
    assert validate("case", doc) == {}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases())
def test_mutated_cases_get_the_same_verdict_from_both(doc):
    _agree("case", doc)


def test_decimal_amounts_as_the_api_parses_them():
    # The API parses floats as Decimal: both validators must take them as numbers.
    for path in EXAMPLES:
        if path.name.endswith(".case.json"):
            _agree("case", json.loads(path.read_text(), parse_float=Decimal))


def test_the_contract_examples():
    checked = 0
    for path in EXAMPLES:
        name = "case" if path.name.endswith(".case.json") else "determination"
        if not path.name.endswith((".case.json", ".determination.json")):
            continue
        _agree(name, json.loads(path.read_text()))
        checked += 1
    assert checked >= 2


def test_an_invalid_document_still_gets_messages_by_path():
    doc = json.loads(next(p for p in EXAMPLES if p.name.endswith(".case.json")).read_text())
    doc["decisive_date"] = "2025-02-30"
    doc["destination_country"] = "germany"
    del doc["items"]
    assert validate("case", doc) == {
        "decisive_date": ["not a valid date"],
        "destination_country": ["not an ISO 3166-1 alpha-2 country code"],
        "items": ["required field is missing"],
    }
