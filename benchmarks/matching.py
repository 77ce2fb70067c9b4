"""Party name matching: quality on OpenSanctions' labelled name pairs beside their logic-v2 matcher, and speed of
screening 10,000 names against the full US CSL and the UN consolidated list beside a brute-force rapidfuzz scan.

Runs inside `make bench` (`--only matching`) or alone: `python -m benchmarks.matching [--quality-only]`.
"""

import argparse
import csv
import gc
import random
import statistics
import string
import time
import tracemalloc
from pathlib import Path

from .results import Figure

NAME = "matching"
DATA = Path(__file__).resolve().parent / "data"
CASES_FILE = DATA / "eval" / "nomenklatura_name_bench_cases.csv"
LOGIC_V2_FILE = DATA / "eval" / "nomenklatura_logicv2_frozen_scores.csv"
CSL_FILE = Path(__file__).resolve().parent.parent / "parties" / "data" / "us_csl_2022.csv.gz"
UN_FILE = DATA / "lists" / "un_consolidated_2026-02-27.xml.gz"
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
LOGIC_V2_THRESHOLD = 0.7
# The eval set's schemas, as the matcher's kinds of party.
SCHEMA_KINDS = {"Person": "person", "Vessel": "vessel"}

TARGET_P50_MS = 2.0
TARGET_MEMORY_MB = 300.0
TARGET_BUILD_S = 10.0


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--matching-queries", type=int, default=10_000, help="names to screen (default 10000)")
    group.add_argument(
        "--matching-baseline-queries", type=int, default=200, help="names for the brute-force baseline (200)"
    )


# --- quality -------------------------------------------------------------------------------------------------


def load_cases(path: Path = CASES_FILE) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def kind_of(schema: str) -> str:
    return SCHEMA_KINDS.get(schema, "entity")


def precision_recall_f1(scored: list[tuple[float, bool]], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for score, label in scored if score >= threshold and label)
    fp = sum(1 for score, label in scored if score >= threshold and not label)
    fn = sum(1 for score, label in scored if score < threshold and label)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _key(row: dict) -> tuple[str, str, str, str]:
    # The two files name some case groups differently; the pair itself, its schema and label identify a case.
    return row["schema"], row["name1"], row["name2"], row["is_match"]


def evaluate(cases: list[dict] | None = None) -> dict:
    """Our scores and logic-v2's on the labelled pairs: per threshold, per half, and the STRONG-tier misses."""
    from parties.matching import DEFAULT_THRESHOLD, REVIEW_THRESHOLD, compare_names

    thresholds = sorted({*THRESHOLDS, DEFAULT_THRESHOLD, REVIEW_THRESHOLD, LOGIC_V2_THRESHOLD})
    cases = cases if cases is not None else load_cases()
    ours = []
    for number, row in enumerate(cases):
        comparison = compare_names(row["name1"], row["name2"], kind_of(row["schema"]))
        ours.append((number, row, comparison))
    with LOGIC_V2_FILE.open(newline="", encoding="utf-8") as handle:
        logic_v2_rows = list(csv.DictReader(handle))
    logic_v2 = {_key(row): float(row["score"]) for row in logic_v2_rows}

    def scored(select) -> list[tuple[float, bool]]:
        return [(c.score, row["is_match"] == "true") for n, row, c in ours if select(n, row)]

    halves = {
        "all": lambda n, row: True,
        "even rows": lambda n, row: n % 2 == 0,
        "odd rows": lambda n, row: n % 2 == 1,
        "same pairs as logic-v2": lambda n, row: _key(row) in logic_v2,
    }
    table = {name: {t: precision_recall_f1(scored(select), t) for t in thresholds} for name, select in halves.items()}
    v2_scored = [(logic_v2[_key(row)], row["is_match"] == "true") for _, row, _ in ours if _key(row) in logic_v2]
    table["logic-v2"] = {t: precision_recall_f1(v2_scored, t) for t in thresholds}
    # logic-v2 on all the pairs of its own file, as published (812, some not in the cases file).
    v2_published = [(float(row["score"]), row["is_match"] == "true") for row in logic_v2_rows]
    table["logic-v2 published"] = {t: precision_recall_f1(v2_published, t) for t in thresholds}
    strong_misses = [
        (row, c)
        for _, row, c in ours
        if row["quality"] == "STRONG" and (c.score >= DEFAULT_THRESHOLD) != (row["is_match"] == "true")
    ]
    return {"table": table, "strong_misses": strong_misses, "pairs": len(ours), "logic_v2_pairs": len(v2_scored)}


def print_quality(result: dict) -> None:
    from parties.matching import DEFAULT_THRESHOLD, REVIEW_THRESHOLD

    table = result["table"]
    print(f"   {result['pairs']} labelled pairs ({result['logic_v2_pairs']} of them scored by logic-v2)")
    print(f"   default threshold {DEFAULT_THRESHOLD}, review band {REVIEW_THRESHOLD} to {DEFAULT_THRESHOLD}")
    header = "   threshold " + "".join(f"{name:>24}" for name in table)
    print(header)
    print("             " + "".join(f"{'P     R    F1':>24}" for _ in table))
    for t in table["all"]:
        cells = "".join(f"{p:>12.3f}{r:>6.3f}{f:>6.3f}" for p, r, f in (table[name][t] for name in table))
        print(f"   {t:<9.2f} {cells}")
    print(f"   STRONG-tier pairs on the wrong side of {DEFAULT_THRESHOLD}: {len(result['strong_misses'])}")
    for row, comparison in result["strong_misses"]:
        label = "match" if row["is_match"] == "true" else "no match"
        print(f"     [{label}] {row['name1']!r} / {row['name2']!r}: {comparison.describe()}")


def quality_figures(result: dict) -> list[Figure]:
    from parties.matching import DEFAULT_THRESHOLD, REVIEW_THRESHOLD

    table = result["table"]
    p, r, f = table["all"][DEFAULT_THRESHOLD]
    v2p, v2r, v2f = table["logic-v2"][LOGIC_V2_THRESHOLD]
    return [
        Figure("matching_f1", round(f, 3), "F1", round(v2f, 3)),
        Figure("matching_precision", round(p, 3), "ratio"),
        Figure("matching_recall", round(r, 3), "ratio"),
        Figure("matching_f1_even_rows", round(table["even rows"][DEFAULT_THRESHOLD][2], 3), "F1"),
        Figure("matching_f1_odd_rows", round(table["odd rows"][DEFAULT_THRESHOLD][2], 3), "F1"),
        Figure(
            "matching_f1_same_pairs_as_logic_v2", round(table["same pairs as logic-v2"][DEFAULT_THRESHOLD][2], 3), "F1"
        ),
        Figure("matching_logic_v2_f1", round(v2f, 3), "F1"),
        Figure("matching_logic_v2_published_f1", round(table["logic-v2 published"][LOGIC_V2_THRESHOLD][2], 3), "F1"),
        Figure("matching_recall_at_review", round(table["all"][REVIEW_THRESHOLD][1], 3), "ratio"),
        Figure("matching_default_threshold", DEFAULT_THRESHOLD, "score"),
        Figure("matching_review_threshold", REVIEW_THRESHOLD, "score"),
        Figure("matching_strong_misses", len(result["strong_misses"]), "pairs"),
    ]


# --- speed ---------------------------------------------------------------------------------------------------


def load_entries() -> list:
    """The full CSL and the UN list, read by the project's own importers, as the screening will read them."""
    from parties.importers import parse_csl, parse_un_xml
    from parties.matching import entry_from_record

    entries = [entry_from_record("US-CSL", record) for record in parse_csl([CSL_FILE])]
    entries += [entry_from_record("UN-SC", record) for record in parse_un_xml([UN_FILE])]
    return entries


_LEGAL_FORMS = ("LLC", "Ltd", "Limited", "GmbH", "JSC", "Co., Ltd.", "Inc.", "Corporation", "OOO", "S.A.")
_UNRELATED_GIVEN = (
    "Anna Lukas Maria Jonas Sofia Elias Emma Noah Mia Felix Clara Paul Ines Tomas Greta Jan Ida Ole".split()
)
_UNRELATED_FAMILY = (
    "Brandstetter Lindqvist Okonkwo Haverkamp Castellanos Nakamura Vasquez Oyelaran Bergmann Kowalczyk "
    "Fitzgerald Achterberg Moreau Lindholm Papadakis Sorensen Gutierrez Wainwright Hallgrimsson Delacroix"
).split()
_UNRELATED_WORDS = (
    "Alpine Harbour Precision Northwind Solaris Meadow Cobalt Riverside Granite Evergreen Summit Keystone "
    "Lakeside Crescent Beacon Orchard Sterling Falcon Maple Horizon Juniper Aurora Willow Brightwater"
).split()


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("substitute", "delete", "insert", "transpose"))
    if kind == "substitute":
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def make_queries(entries: list, count: int, seed: int = 20260227) -> list[tuple[str, str | None]]:
    """(query name, entry id it was drawn from or None). 70 % list names with realistic damage: a typo in one
    word, words reordered, a legal form dropped or swapped, case changed; 30 % names made up from common words."""
    rng = random.Random(seed)
    queries: list[tuple[str, str | None]] = []
    named = [(entry, name) for entry in entries for name, _ in entry.names if len(name) >= 4]
    for _ in range(count):
        if rng.random() < 0.3:
            if rng.random() < 0.5:
                name = f"{rng.choice(_UNRELATED_GIVEN)} {rng.choice(_UNRELATED_FAMILY)}"
            else:
                name = f"{rng.choice(_UNRELATED_WORDS)} {rng.choice(_UNRELATED_WORDS)} {rng.choice(_LEGAL_FORMS)}"
            queries.append((name, None))
            continue
        entry, name = rng.choice(named)
        words = name.replace(",", " ").split()
        damage = rng.random()
        if damage < 0.4 and words:
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            words[longest] = _typo(words[longest], rng)
        elif damage < 0.6 and len(words) > 1:
            rng.shuffle(words)
        elif damage < 0.75 and len(words) > 1 and entry.kind != "person":
            words = words[:-1] if rng.random() < 0.5 else words[:-1] + [rng.choice(_LEGAL_FORMS)]
        elif damage < 0.85:
            words = [w.lower() for w in words]
        queries.append((" ".join(words), f"{entry.list_key}:{entry.entry_id}"))
    return queries


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def speed(args: argparse.Namespace) -> list[Figure]:
    from rapidfuzz import fuzz, process, utils

    from parties.matching import DEFAULT_THRESHOLD, REVIEW_THRESHOLD, MatchIndex
    from parties.matching.normalise import phonetic, prepare

    entries = load_entries()
    names = sum(len(e.names) for e in entries)
    print(f"   {len(entries)} entries ({sum(e.list_key == 'UN-SC' for e in entries)} UN), {names} names and aliases")

    # Build once with tracemalloc to measure what the index holds, then again without it to time the build: the
    # caches of prepared names are emptied first, so both builds do all the work.
    prepare.cache_clear()
    phonetic.cache_clear()
    gc.collect()
    tracemalloc.start()
    index = MatchIndex.build(entries)
    memory_mb = tracemalloc.get_traced_memory()[0] / 1024 / 1024
    tracemalloc.stop()
    del index
    prepare.cache_clear()
    phonetic.cache_clear()
    gc.collect()
    rss_before = _rss_mb()
    started = time.perf_counter()
    index = MatchIndex.build(entries)
    build_s = time.perf_counter() - started
    rss_mb = _rss_mb() - rss_before
    print(f"   index of {len(index)} names built in {build_s:.2f} s; {memory_mb:.0f} MB traced, RSS +{rss_mb:.0f} MB")

    queries = make_queries(entries, args.matching_queries)
    timings = []
    candidates = 0
    found = found_default = drawn = 0
    for query, source in queries:
        started = time.perf_counter()
        matches = index.search(query, threshold=REVIEW_THRESHOLD)
        timings.append((time.perf_counter() - started) * 1000)
        if source is not None:
            drawn += 1
            scores = [m.score for m in matches if f"{m.list_key}:{m.entry_id}" == source]
            found += bool(scores)
            found_default += bool(scores) and scores[0] >= DEFAULT_THRESHOLD
    for query, _ in queries[:500]:
        candidates += len(index.candidates(prepare(query)))
    elapsed = sum(timings) / 1000
    p50, p99 = statistics.median(timings), _percentile(timings, 99)
    print(
        f"   {len(queries)} queries: p50 {p50:.2f} ms, p99 {p99:.2f} ms, {len(queries) / elapsed:.0f} queries/s; "
        f"{candidates / 500:.0f} names scored per query of {len(index)}; "
        f"of the damaged list names, {found / max(1, drawn):.1%} found their entry at {REVIEW_THRESHOLD}, "
        f"{found_default / max(1, drawn):.1%} at {DEFAULT_THRESHOLD}"
    )

    # Brute force: every list name scored with rapidfuzz for every query, as a matcher without an index would.
    choices = [utils.default_process(name) for e in entries for name, _ in e.names]
    baseline = []
    for query, _ in queries[: args.matching_baseline_queries]:
        started = time.perf_counter()
        process.extract(utils.default_process(query), choices, scorer=fuzz.token_sort_ratio, limit=10, processor=None)
        baseline.append((time.perf_counter() - started) * 1000)
    base_p50 = statistics.median(baseline)
    base_total_s = sum(baseline) / 1000 / len(baseline) * len(queries)
    print(
        f"   brute force ({len(baseline)} queries, rapidfuzz token_sort_ratio over all {len(choices)} names): "
        f"p50 {base_p50:.2f} ms, {len(baseline) / (sum(baseline) / 1000):.0f} queries/s; "
        f"{base_total_s:.0f} s for all {len(queries)}"
    )
    return [
        Figure("matching_index_build_s", round(build_s, 2), "s", TARGET_BUILD_S, higher_is_better=False),
        Figure("matching_index_memory_mb", round(memory_mb, 1), "MB", TARGET_MEMORY_MB, higher_is_better=False),
        Figure("matching_index_rss_delta_mb", round(rss_mb, 1), "MB"),
        Figure("matching_index_names", len(index), "names"),
        Figure("matching_query_p50_ms", round(p50, 3), "ms", TARGET_P50_MS, higher_is_better=False),
        Figure("matching_query_p99_ms", round(p99, 3), "ms"),
        Figure("matching_queries_per_second", round(len(queries) / elapsed, 1), "queries/s"),
        Figure("matching_names_scored_per_query", round(candidates / 500, 1), "names"),
        Figure("matching_damaged_names_found", round(found / max(1, drawn), 3), "ratio"),
        Figure("matching_damaged_names_found_default", round(found_default / max(1, drawn), 3), "ratio"),
        Figure("matching_baseline_p50_ms", round(base_p50, 3), "ms"),
        Figure("matching_baseline_queries_per_second", round(len(baseline) / (sum(baseline) / 1000), 1), "queries/s"),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    result = evaluate()
    print_quality(result)
    figures = quality_figures(result)
    if not getattr(args, "quality_only", False):
        figures += speed(args)
    return figures


def main(argv: list[str] | None = None) -> int:
    import os
    import sys

    import django

    from .results import RESULTS_FILE, merge_results

    parser = argparse.ArgumentParser(prog="python -m benchmarks.matching", description=__doc__)
    add_arguments(parser.add_argument_group(NAME))
    parser.add_argument("--quality-only", action="store_true", help="only the labelled pairs, no lists")
    parser.add_argument("--no-write", action="store_true", help="print the figures without writing results.json")
    args = parser.parse_args(argv)
    # The list importers read country names through django-countries, which wants settings; no database is used.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    figures = run(args)
    for figure in figures:
        print(f"   {figure.name:<40} {figure.value:>10.3f} {figure.unit:<10} {figure.verdict}")
    if not args.no_write:
        merge_results(figures)
        print(f"Wrote {len(figures)} figures to {RESULTS_FILE.name}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
