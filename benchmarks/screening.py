"""The screening engine: 10,000 generated case documents (5 items, 3 parties each) screened in one process
against the published seed rule set, loaded from the database and compiled once, timing each case.

Beside it, the same work by a deliberately naive evaluator (benchmarks/naive_screening.py) that reads the rules
from the database for every case, on a smaller sample since it is slow; its determinations must equal the
engine's, case by case, or the run fails. The ratio of the two rates is what loading the rule set once buys.

Parties are screened as the product screens them: against the restricted-party lists in force (the Chinese lists
the product ships), with the fuzzy matcher of parties.matching."""

import argparse
import gc
import io
import statistics
import time
from collections import Counter
from datetime import date

from .results import Figure
from .screening_cases import generate_cases

NAME = "screening"
TARGET_CASES_PER_SECOND = 2000
ITEMS = 5
PARTIES = 3
SAMPLE_EVERY = 50  # every 50th document is checked against the contract, as the interfaces check what they screen


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--screening-cases", type=int, default=10_000, help="case documents the engine screens (default 10000)"
    )
    group.add_argument(
        "--naive-cases", type=int, default=300, help="of those, cases the naive evaluator screens too (default 300)"
    )
    group.add_argument("--screening-seed", type=int, default=20251009, help="seed of the case generator")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def published_version():
    """The version in force, after publishing the seed if nothing is published yet."""
    import io

    from django.core.management import call_command

    from screening.selectors import NoRuleSet, rule_set_in_force

    try:
        return rule_set_in_force()
    except NoRuleSet:
        call_command("load_rule_pack", publish=True, stdout=io.StringIO())
        return rule_set_in_force()


def differences(expected: dict, actual: dict) -> list[str]:
    """The top-level keys of two determinations that differ, each with both values, for a loud failure."""
    keys = sorted(set(expected) | set(actual))
    return [
        f"{k}: engine {expected.get(k)!r} / naive {actual.get(k)!r}" for k in keys if expected.get(k) != actual.get(k)
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    from django.db import connection

    from screening.engine import compile_rule_set, screen_document
    from screening.interface import case_document_errors
    from screening.packs import export_pack
    from screening.selectors import compiled_rule_set

    from .naive_screening import naive_screen

    count = args.screening_cases
    naive_count = min(args.naive_cases, count)
    documents = generate_cases(count, seed=args.screening_seed, items=ITEMS, parties=PARTIES)
    for document in documents[::SAMPLE_EVERY]:
        errors = case_document_errors(document)
        if errors:
            raise RuntimeError(f"generated case {document['reference']} breaks the contract: {errors}")

    from django.core.management import call_command

    from parties.screening import party_matcher

    version = published_version()

    # The Chinese lists the product ships, in force for every generated date (2025 on): one matcher for the run,
    # as a batch screening would hold it.
    call_command("load_shipped_lists", only=["CN-CONTROL", "CN-WATCH", "CN-UEL"], stdout=io.StringIO())
    first_day = min(date.fromisoformat(d["decisive_date"]) for d in documents)
    # What loading once costs, measured on its own: the cache below may already hold the version.
    started = time.perf_counter()
    compile_rule_set(export_pack(version), version=version.label)
    load_ms = (time.perf_counter() - started) * 1000
    rule_set = compiled_rule_set(version)
    matcher = party_matcher(on=first_day, rule_set=rule_set)
    print(
        f"   {count} cases of {ITEMS} items and {PARTIES} parties against rule set {version.label} "
        f"({len(rule_set.rules)} rules, loaded in {load_ms:.0f} ms); "
        f"the naive evaluator screens the first {naive_count}"
    )

    # The 10,000 input documents are a million live objects that a server screening one case at a time would not
    # hold; freezing them keeps the garbage collector from re-scanning them inside the timed loop.
    gc.collect()
    gc.freeze()
    timings = []
    outcomes: Counter[str] = Counter()
    fired: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    kept = []
    cpu = time.process_time()
    started = time.perf_counter()
    for document in documents:
        t0 = time.perf_counter()
        determination = screen_document(document, rule_set, matcher=matcher)
        timings.append(time.perf_counter() - t0)
        outcomes[determination["outcome"]] += 1
        fired.update(r["rule"] for r in determination["reasons"])
        suppressed.update(s["rule"] for s in determination["suppressed"])
        if len(kept) < naive_count:
            kept.append(determination)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    gc.unfreeze()

    untouched = sorted(r.code for r in rule_set.rules if not fired[r.code] and not suppressed[r.code])
    if untouched:
        print(f"   Note: no generated case reached {', '.join(untouched)}; the generator's mix needs widening.")

    naive_timings = []
    counter = _QueryCounter()
    with connection.execute_wrapper(counter):
        for document, expected in zip(documents[:naive_count], kept, strict=True):
            t0 = time.perf_counter()
            actual = naive_screen(document, version=version)
            naive_timings.append(time.perf_counter() - t0)
            if actual != expected:
                raise RuntimeError(
                    f"the naive evaluator disagrees with the engine on {document['reference']}:\n    "
                    + "\n    ".join(differences(expected, actual))
                )

    rate = count / elapsed
    naive_rate = naive_count / sum(naive_timings)
    per_case = [t * 1000 for t in timings]
    reasons = sum(fired.values())
    print(f"   naive evaluator agreed with the engine on all {naive_count} cases")
    print(f"   engine {rate:,.0f} cases/s against naive {naive_rate:,.1f} cases/s: {rate / naive_rate:,.0f}x")
    print(
        f"   {reasons} reasons fired ({reasons / count:.1f} per case), {sum(suppressed.values())} suppressed; "
        f"{len(rule_set.rules) - len(untouched)} of {len(rule_set.rules)} rules reached"
    )
    print("   outcomes: " + ", ".join(f"{name} {n} ({n / count:.1%})" for name, n in outcomes.most_common()))

    from screening.engine import OUTCOMES

    return [
        Figure("screening_cases_per_second", round(rate, 1), "cases/s", TARGET_CASES_PER_SECOND),
        Figure("screening_cases_per_cpu_second", round(count / cpu, 1), "cases/s"),
        Figure("screening_p50", round(statistics.median(per_case), 3), "ms"),
        Figure("screening_p99", round(_percentile(per_case, 99), 3), "ms"),
        Figure("screening_rule_set_load", round(load_ms, 1), "ms"),
        Figure("screening_naive_cases_per_second", round(naive_rate, 2), "cases/s"),
        Figure("screening_naive_p50", round(statistics.median(naive_timings) * 1000, 2), "ms"),
        Figure("screening_naive_queries_per_case", round(counter.count / naive_count, 1), "queries"),
        Figure("screening_engine_vs_naive", round(rate / naive_rate, 1), "x"),
        Figure("screening_reasons_per_case", round(reasons / count, 2), "reasons"),
        *(Figure(f"screening_outcome_{name}", outcomes[name], "cases") for name in OUTCOMES),
    ]
