"""The screening benchmark's parts: its generated cases keep to the contract and reach every seeded rule, and its
naive baseline gives the engine's determinations, so the baseline cannot drift from the engine unnoticed.
Speed is measured by `make bench`, never here."""

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from benchmarks.naive_screening import naive_screen
from benchmarks.screening import differences, published_version
from benchmarks.screening_cases import generate_cases
from screening.engine import compile_rule_set, screen_document
from screening.interface import case_document_errors
from screening.models import Suspension
from screening.packs import export_pack
from screening.selectors import compiled_rule_set

from .shipped_lists import cn_matcher

SEED = Path(__file__).resolve().parent.parent / "screening" / "seed" / "rulepack.json"


def test_generator_is_repeatable_and_keeps_to_the_contract():
    cases = generate_cases(200, seed=7)
    assert cases == generate_cases(200, seed=7)
    assert cases != generate_cases(200, seed=8)
    for case in cases:
        assert case_document_errors(case) == {}, case["reference"]
        assert len(case["items"]) == 5 and len(case["parties"]) == 3


def test_generated_mix_reaches_every_seeded_rule_and_every_outcome():
    rule_set = compile_rule_set(json.loads(SEED.read_text()))
    matcher = cn_matcher(rule_set)
    fired, suppressed, outcomes = Counter(), Counter(), Counter()
    for case in generate_cases(2000):
        determination = screen_document(case, rule_set, matcher=matcher)
        outcomes[determination["outcome"]] += 1
        fired.update(r["rule"] for r in determination["reasons"])
        suppressed.update(s["why"] for s in determination["suppressed"])
    # The US list rule needs the CSL, which this test does not load (tests/test_party_screening.py covers it).
    assert {r.code for r in rule_set.rules} - {"US-744-LISTED"} <= set(fired)
    assert set(outcomes) == {
        "no_licence_required",
        "no_licence_required_report",
        "licence_required",
        "case_by_case",
        "presumption_of_denial",
        "prohibited",
    }
    # Dates spread over 2025-2027 put cases before rules come into force, inside suspensions, and under exclusions.
    assert {"not_yet_in_force", "suspended", "excluded"} <= set(suppressed)


@pytest.mark.django_db
def test_naive_evaluator_agrees_with_the_engine():
    from django.core.management import call_command

    from parties.screening import party_matcher

    version = published_version()  # publishes the seed, as the benchmark does when nothing is published
    call_command("load_shipped_lists", only=["CN-CONTROL", "CN-WATCH", "CN-UEL"])
    rule_set = compiled_rule_set(version)
    cases = generate_cases(20, seed=3)
    outcomes = set()
    for case in cases:
        on = date.fromisoformat(case["decisive_date"])
        expected = screen_document(case, rule_set, matcher=party_matcher(on=on, rule_set=rule_set))
        actual = naive_screen(case, version=version)
        assert actual == expected, differences(expected, actual)
        outcomes.add(expected["outcome"])
    assert len(outcomes) > 1  # the sample is not all one answer


@pytest.mark.django_db
def test_naive_evaluator_reads_the_tables_for_each_case():
    version = published_version()
    compiled_once = compile_rule_set(export_pack(version), version=version.label)
    case = next(
        c
        for c in generate_cases(200, seed=3)
        if any(s["why"] == "suspended" for s in screen_document(c, compiled_once)["suppressed"])
    )
    before = naive_screen(case, version=version)
    # Rows of a published version cannot be saved through the model; a bulk update goes beneath it, and the
    # naive evaluator, which reads the table for every case, must answer from the table as it now is.
    Suspension.objects.filter(version=version).update(ends=date(2000, 1, 2))
    after = naive_screen(case, version=version)
    assert not any(s["why"] == "suspended" for s in after["suppressed"])
    assert screen_document(case, compiled_once) == before
