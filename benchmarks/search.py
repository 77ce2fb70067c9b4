"""Search: the case list's searches, filters and orders, and the permit register's search, on 110,000 cases.

The data is the load benchmark's (benchmarks/load.py): the re-check's register of 100,000 permits with their
approved cases (benchmarks/population.py), and 10,000 more cases in every other status, written once per database
and reused. Each search runs as the list page runs it, through the same selector and pager
(`search.selectors.CaseSearchResults` and `search.pagination.CappedPaginator`; for the register
`permits.selectors.PermitRegisterPages` and Django's Paginator): the first page of 25 rows and the count, in this
process, `--search-runs` times after one untimed run. The figure is the time of the page's queries together, median
and p95; the target is 150 ms for the p95 of each. The machine's load average is printed and recorded beside them.

`--search-explain` prints EXPLAIN (ANALYZE, BUFFERS) of each search's statements, as docs/benchmarks.md quotes.
"""

import statistics
import time
from datetime import timedelta
from pathlib import Path

from .results import Figure

NAME = "search"
TARGET_MS = 150.0
PER_PAGE = 25


def add_arguments(parser) -> None:
    parser.add_argument("--search-runs", type=int, default=20, help="search: timed runs of each search (default 20)")
    parser.add_argument(
        "--search-explain", action="store_true", help="search: print EXPLAIN (ANALYZE, BUFFERS) of each search"
    )


def _searches(cases) -> list[tuple[str, str, dict]]:
    """(figure key, who, case_search filters): the searches the brief of issue 7 names, on references and words
    the register holds."""
    from django.db.models import Max

    from review.models import Queue

    sample = cases.filter(status="approved").order_by("id")
    reference = sample.values_list("reference", flat=True)[54_321]
    # The register's references are <prefix>-<seven digits>: a run of digits finds a handful of cases.
    digits = reference.rsplit("-", 1)[1][1:]
    latest = cases.aggregate(latest=Max("submitted_at"))["latest"]
    since = (latest - timedelta(days=14)).date()
    queue = Queue.objects.filter(slug="general").values_list("pk", flat=True).first()
    return [
        ("all", "reviewer", {}),
        ("reference_digits", "reviewer", {"q": digits}),
        ("reference_substring", "reviewer", {"q": "000123"}),
        ("reference_full", "reviewer", {"q": reference}),
        ("reference_other_format", "reviewer", {"q": "LIC-2025-0001"}),
        ("party_word", "reviewer", {"q": "Stuttgart"}),
        ("item_word", "reviewer", {"q": "magnet"}),
        ("item_word_rare", "reviewer", {"q": "holmium"}),
        ("control_code_1C9", "reviewer", {"q": "1C9"}),
        ("control_code_1C905", "reviewer", {"q": "1C905"}),
        ("nothing", "reviewer", {"q": "no such thing"}),
        ("status", "reviewer", {"status": "screened"}),
        ("destination", "reviewer", {"destination": "DE"}),
        ("licence_type", "reviewer", {"licence_type": "general"}),
        ("submitted_range", "reviewer", {"submitted_from": since}),
        ("queue", "reviewer", {"queue_id": queue}),
        ("outcome", "reviewer", {"outcome": "licence_required"}),
        ("word_and_status", "reviewer", {"q": "magnet", "status": "in_review"}),
        *(
            (f"sort_{sort}", "reviewer", {"sort": sort})
            for sort in ("oldest", "submitted", "updated", "reference", "status", "destination")
        ),
        ("officer_all", "officer", {}),
        ("officer_item_word", "officer", {"q": "magnet"}),
        ("officer_control_code", "officer", {"q": "1C905"}),
        ("officer_sort_updated", "officer", {"sort": "updated"}),
    ]


def _register_searches(permits) -> list[tuple[str, str, dict]]:
    number = permits.order_by("id").values_list("number", flat=True)[54_321]
    return [
        ("register_all", "reviewer", {}),
        ("register_number", "reviewer", {"search": number}),
        ("register_end_user", "reviewer", {"search": "Stuttgart"}),
        ("register_control_code", "reviewer", {"search": "1C905"}),
        ("register_officer_all", "officer", {}),
    ]


def _explain(queries) -> None:
    from django.db import connection

    for query in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join("      " + row[0] for row in cursor.fetchall()))


def _time(page_of, runs: int, explain: bool) -> tuple[list[float], int, int]:
    """Milliseconds of each timed run of `page_of()`, and the statements and rows counted by the last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page_of()  # untimed: the connection, the plan cache and the buffers warmed as in a serving process
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            total = page_of()
            times.append((time.perf_counter() - started) * 1000)
    if explain:
        _explain(queries.captured_queries)
    return times, len(queries), total


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def run(args) -> list[Figure]:
    from django.core.paginator import Paginator

    from cases.models import Case
    from permits.models import Permit
    from permits.selectors import PermitRegisterPages, permit_register
    from search.pagination import CappedPaginator
    from search.selectors import CaseSearchResults

    from .load import _accounts, _open_cases
    from .population import DEFAULT_SEED, populate

    if args.load_cases < args.permits:
        raise SystemExit("--load-cases counts every case, the permits' ones too: it must be at least --permits")
    started = time.perf_counter()
    population = populate(args.permits)
    users = _accounts(DEFAULT_SEED)
    extra = _open_cases(args.load_cases - args.permits, DEFAULT_SEED)
    print(
        f"   data: {population.permits:,} permits ({'reused' if population.reused else 'written'}), {extra:,} more "
        f"cases ({time.perf_counter() - started:.0f} s)"
    )

    def case_page(user, filters):
        def page_of() -> int:
            page = CappedPaginator(CaseSearchResults(user=user, **filters), PER_PAGE).get_page(1)
            list(page.object_list)
            return page.paginator.count

        return page_of

    def register_page(user, filters):
        def page_of() -> int:
            page = Paginator(PermitRegisterPages(permit_register(user=user, **filters)), PER_PAGE).get_page(1)
            list(page.object_list)
            return page.paginator.count

        return page_of

    jobs = [(key, who, case_page(users[who], f), f) for key, who, f in _searches(Case.objects.all())]
    jobs += [(key, who, register_page(users[who], f), f) for key, who, f in _register_searches(Permit.objects.all())]
    load_before = Path("/proc/loadavg").read_text().split()[0]
    print(f"   load average before: {load_before}; {args.search_runs} runs of each")
    figures = []
    for key, who, page_of, filters in jobs:
        shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "no filter"
        if args.search_explain:
            print(f"   -- {key} ({who}; {shown})")
        times, statements, total = _time(page_of, args.search_runs, args.search_explain)
        median, p95 = statistics.median(times), _p95(times)
        print(
            f"   {key:<26} {who:<8} {median:7.1f} / {p95:7.1f} ms  {statements} statements, {total:>6,} found ({shown})"
        )
        figures += [
            Figure(f"search_{key}_p50_ms", round(median, 1), "ms", None, False),
            Figure(f"search_{key}_p95_ms", round(p95, 1), "ms", TARGET_MS, False),
        ]
    load_after = Path("/proc/loadavg").read_text().split()[0]
    print(f"   load average after: {load_after}")
    figures.append(Figure("search_load_average", max(float(load_before), float(load_after)), "load"))
    return figures
