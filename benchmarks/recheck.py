"""Re-checking a register of permits in force after a rule change, on real Celery workers (Redis, PostgreSQL).

The register is `benchmarks.population` (100,000 permits of 3 items by default; written once per database). Two
worker processes are started (`celery -A config worker --pool solo`, one task at a time each). Then:

1. incremental: a draft copied from the newest published version changes one rule — the outcome of CN-57-1, the
   listed-item rule of Ann. 57 (control codes 1C909-1C913 and their elements), which about 1 % of the permits
   carry — and is published; the run that publication starts selects the permits the change can touch. Timed
   from the call to `rule_set_publish` to the run's completion (its `finished_at`).
2. full: a run of every permit in force between the same two versions on the same day (a manual run with
   `incremental` off), timed from the call that creates it to its completion.
3. the floor: the same job done as directly as it can be — one SQL query that reads every permit's case document
   (built as JSON by PostgreSQL), the engine in this one process on both versions, and one COPY writing the
   findings to a temporary table shaped like the findings table.

Checks, or the run fails: the full run, the incremental run and the floor find the same permits changed (the same
directions and outcomes); the incremental run selected every permit that changed.

Each run's change is the opposite of the last (licence required <-> prohibited), so every run has findings."""

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from .results import Figure

NAME = "recheck"
TARGET_FULL_SECONDS = 30
TARGET_FULL_VS_FLOOR = 10
TARGET_INCREMENTAL_SECONDS = 3
RULE = "CN-57-1"
OUTCOMES = ("licence_required", "prohibited")
DECISIVE_DATE = date(2027, 1, 1)  # the bench versions' effective date: the day both sides are evaluated on
ROOT = Path(__file__).resolve().parent.parent


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--permits", type=int, default=100_000, help="permits in force (default 100000)")
    group.add_argument("--workers", type=int, default=2, help="Celery worker processes (default 2)")
    group.add_argument(
        "--recheck-chunk-size", type=int, default=None, help="permits per chunk (default: RECHECK_CHUNK_SIZE)"
    )
    group.add_argument("--recheck-seed", type=int, default=None, help="seed of the population generator")
    group.add_argument("--recheck-timeout", type=float, default=1800, help="seconds to wait for a run (default 1800)")


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --- Workers ----------------------------------------------------------------------------------------------------


def _broker_url() -> str:
    # run.py keeps REDIS_URL away from the other modules (their tasks run in-process) and hands it on here.
    url = os.environ.get("LICENSA_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise RuntimeError(f"the re-check benchmark needs Redis ({url}): {error}") from error
    return url


def _worker_env(broker: str) -> dict:
    return {
        **os.environ,
        "REDIS_URL": broker,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }


def _start_workers(count: int, broker: str, log_dir: str) -> list[subprocess.Popen]:
    from config.celery import worker_command

    workers = []
    for n in range(count):
        log = open(os.path.join(log_dir, f"worker{n}.log"), "w")  # noqa: SIM115 — closed with the process
        workers.append(
            subprocess.Popen(
                worker_command(hostname=f"bench-recheck{n}"),
                cwd=ROOT,
                env=_worker_env(broker),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def _wait_ready(app, workers: list[subprocess.Popen], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a Celery worker exited while starting")
        answered = app.control.ping(timeout=1.0) or []
        names = {name for reply in answered for name in reply if name.startswith("bench-recheck")}
        if len(names) >= len(workers):
            return
    raise RuntimeError(f"the Celery workers did not answer within {seconds:.0f} s")


def _cpu_seconds(workers: list[subprocess.Popen]) -> float:
    """CPU time the worker processes have used (user and system): unlike wall time, it does not grow when other
    programs share the cores."""
    total = 0
    for worker in workers:
        with open(f"/proc/{worker.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


# --- Runs -------------------------------------------------------------------------------------------------------


def _changed_draft(base, label: str):
    """A draft of `base` with CN-57-1's outcome turned to the other one."""
    from screening.models import Rule
    from screening.packs import rule_to_pack
    from screening.services import rule_save, rule_set_create_draft

    draft = rule_set_create_draft(base=base, label=label, actor=None)
    data = rule_to_pack(Rule.objects.get(version=draft, code=RULE))
    before = data["outcome"]
    data["outcome"] = OUTCOMES[1] if before == OUTCOMES[0] else OUTCOMES[0]
    rule_save(version=draft, actor=None, data=data, code=RULE)
    draft.refresh_from_db()
    return draft, before, data["outcome"]


def _wait_run(run_filter, seconds: float):
    from rechecks.models import RecheckRun

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = RecheckRun.objects.filter(**run_filter).first()
        if run is not None and run.status in (RecheckRun.Status.DONE, RecheckRun.Status.FAILED):
            if run.status == RecheckRun.Status.FAILED:
                raise RuntimeError(f"{run} failed")
            return run
        time.sleep(0.02)
    raise RuntimeError(f"no re-check run matching {run_filter} completed within {seconds:.0f} s")


def _phases(run, started: float) -> str:
    """Where a run's time went: until the run is recorded (publishing, or the request), until its start task has
    selected the permits and queued the chunks, until the first and the last chunk are done."""
    from rechecks.models import RecheckChunk

    ends = sorted(t.timestamp() for t in RecheckChunk.objects.filter(run=run).values_list("finished_at", flat=True))
    marks = [
        ("recorded", run.created_at.timestamp()),
        ("chunks queued", run.started_at.timestamp()),
        ("first chunk done", ends[0] if ends else run.finished_at.timestamp()),
        ("last chunk done", run.finished_at.timestamp()),
    ]
    return ", ".join(f"{name} +{at - started:.2f} s" for name, at in marks)


def _warm_up(version, seconds: float) -> None:
    """A small run with the same version on both sides (it finds nothing): each worker loads Django, indexes the
    restricted-party lists and compiles the version once, as a worker that has served a run before has. What is
    measured after it is a run on workers in service, not their start."""
    from django.db import transaction

    from rechecks.models import PermitFacet, Trigger
    from rechecks.services import recheck_run_create

    code = "1C911"  # thulium: a few hundred permits of the register
    selected = PermitFacet.objects.filter(kind="control_code", value__startswith=code).count()
    with transaction.atomic():
        run = recheck_run_create(
            trigger=Trigger.MANUAL,
            old_version=version,
            new_version=version,
            decisive_date=DECISIVE_DATE,
            actor=None,
            scope={"incremental": False, "control_codes": [code], "chunk_size": max(1, selected // 8)},
        )
    _wait_run({"pk": run.pk}, seconds)


def _findings(run) -> dict[int, tuple]:
    from rechecks.models import Finding

    return {
        permit_id: tuple(rest)
        for permit_id, *rest in Finding.objects.filter(run=run).values_list(
            "permit_id", "direction", "old_outcome", "new_outcome"
        )
    }


# --- The floor --------------------------------------------------------------------------------------------------

# Every fact of every permit in force, in one statement: the permit with its case, then the items, elements,
# content shares, parties and owners, as flat rows of one shape (a kind, an id, the parent's id, a sort key, text
# fields). PostgreSQL only scans and joins; building the documents is left to Python, which does it faster than
# PostgreSQL builds JSON. The rows come sorted as case_document orders lines (items and parties by position).
_IN_FORCE = "SELECT id, case_id FROM permits_permit WHERE status IN ('issued', 'suspended')"
FLOOR_SQL = f"""
WITH p AS ({_IN_FORCE})
SELECT 0, p.id, c.id, 0, c.reference, c.decisive_date::text, o.name, o.country, c.transaction,
    c.destination_country, c.end_use_categories::text, c.authority_notified::text, c.end_use_description,
    NULL, NULL, NULL, NULL, NULL
FROM p JOIN cases_case c ON c.id = p.case_id JOIN accounts_organisation o ON o.id = c.organisation_id
UNION ALL
SELECT 1, i.id, i.case_id, i.position, i.description, i.kind, i.control_code, i.hs_code, i.produced_in,
    i.origin_country, i.technology_origin, i.value_amount::text, i.value_currency, i.quantity_amount::text,
    i.quantity_unit, i.deep_processed::text, i.technology_area, i.public_domain::text
FROM p JOIN cases_item i ON i.case_id = p.case_id
UNION ALL
SELECT 2, e.id, e.item_id, 0, e.element, e.form, e.mass_fraction::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL
FROM p JOIN cases_item i ON i.case_id = p.case_id JOIN cases_itemelement e ON e.item_id = i.id
UNION ALL
SELECT 3, ct.id, ct.item_id, 0, ct.origin_country, ct.value_share::text, ct.control_code, ct.element, ct.form,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM p JOIN cases_item i ON i.case_id = p.case_id JOIN cases_itemcontent ct ON ct.item_id = i.id
UNION ALL
SELECT 4, pa.id, pa.case_id, pa.position, pa.role, pa.name, pa.country, pa.category, pa.address, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL
FROM p JOIN cases_party pa ON pa.case_id = p.case_id
UNION ALL
SELECT 5, ow.id, ow.party_id, 0, ow.name, ow.share::text, ow.country, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL
FROM p JOIN cases_party pa ON pa.case_id = p.case_id JOIN cases_partyowner ow ON ow.party_id = pa.id
ORDER BY 1, 4, 2
"""


def _share(text: str) -> float | int:
    value = float(Decimal(text))
    return int(value) if value in (0.0, 1.0) else value


def _amount(text: str) -> str:
    return format(Decimal(text).normalize(), "f")


def floor_documents(rows) -> list[tuple[int, dict]]:
    """(permit id, case document) from FLOOR_SQL's rows: the document `cases.casedoc.case_document` makes."""
    elements, content, owners = defaultdict(list), defaultdict(list), defaultdict(list)
    items, parties, permits = defaultdict(list), defaultdict(list), []
    item_docs, party_docs = {}, {}
    for kind, pk, parent, _, *f in rows:
        if kind == 0:
            permits.append((pk, parent, f))
        elif kind == 1:
            doc = {"description": f[0], "kind": f[1]}
            for key, value in zip(
                ("control_code", "hs_code", "produced_in", "origin_country", "technology_origin"), f[2:7], strict=True
            ):
                if value:
                    doc[key] = value
            if f[7] is not None and f[8]:
                doc["value"] = {"amount": _amount(f[7]), "currency": f[8]}
            if f[9] is not None and f[10]:
                doc["quantity"] = {"amount": _amount(f[9]), "unit": f[10]}
            doc["deep_processed"] = f[11] == "true"
            if f[12]:
                doc["technology_area"] = f[12]
            doc["public_domain"] = f[13] == "true"
            item_docs[pk] = doc
            items[parent].append(pk)
        elif kind == 2:
            entry = {"element": f[0], "form": f[1]}
            if f[2] is not None:
                entry["mass_fraction"] = _share(f[2])
            elements[parent].append(entry)
        elif kind == 3:
            entry = {"origin_country": f[0], "value_share": _share(f[1])}
            for key, value in (("control_code", f[2]), ("element", f[3]), ("form", f[4])):
                if value:
                    entry[key] = value
            content[parent].append(entry)
        elif kind == 4:
            doc = {"role": f[0], "name": f[1], "country": f[2], "category": f[3]}
            if f[4]:
                doc["address"] = f[4]
            party_docs[pk] = doc
            parties[parent].append(pk)
        else:
            entry = {"name": f[0], "share": _share(f[1])}
            if f[2]:
                entry["country"] = f[2]
            owners[parent].append(entry)
    for pk, doc in item_docs.items():
        if elements.get(pk):
            doc["elements"] = elements[pk]
        if content.get(pk):
            doc["content"] = content[pk]
        # Key order as case_document writes it (content and elements before the flags).
        for key in ("deep_processed", "technology_area", "public_domain"):
            if key in doc:
                doc[key] = doc.pop(key)
    for pk, doc in party_docs.items():
        if owners.get(pk):
            doc["owners"] = owners[pk]
    out = []
    for permit_id, case_id, f in permits:
        end_use = {"categories": json.loads(f[6]), "authority_notified": f[7] == "true"}
        if f[8]:
            end_use["description"] = f[8]
        out.append(
            (
                permit_id,
                {
                    "reference": f[0],
                    "decisive_date": f[1],
                    "exporter": {"name": f[2], "country": f[3]},
                    "transaction": f[4],
                    "destination_country": f[5] or None,
                    "items": [item_docs[i] for i in items.get(case_id, ())],
                    "parties": [party_docs[p] for p in parties.get(case_id, ())],
                    "end_use": end_use,
                },
            )
        )
    return out


def floor(*, old_version, new_version, decisive_date: date) -> dict:
    """Read, evaluate both sides and write the findings as directly as possible, timing each step."""
    from django.db import connection

    from parties.screening import lists_in_force, loaded_list, make_matcher, stored_dispositions
    from screening.engine import evaluate, facts_from_document
    from screening.engine.compare import compare_determinations
    from screening.selectors import compiled_rule_set

    started, cpu = time.perf_counter(), time.process_time()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        rows = floor_documents(cursor.fetchall())
    read = time.perf_counter() - started

    t0 = time.perf_counter()
    old_rules, new_rules = compiled_rule_set(old_version), compiled_rule_set(new_version)
    lists = [loaded_list(v) for v in lists_in_force(on=decisive_date)]
    dispositions = stored_dispositions()
    old_matcher = make_matcher(lists, old_rules, dispositions)
    # A matcher's answers depend on the lists, the dispositions and the instruments its entries cite: when those
    # are the same on both sides, one matcher (and its memory of names) serves both.
    if old_rules.instruments == new_rules.instruments:
        new_matcher = old_matcher
    else:
        new_matcher = make_matcher(lists, new_rules, dispositions)
    changes = []
    for permit_id, document in rows:
        facts = facts_from_document(document, decisive_date=decisive_date)
        change = compare_determinations(
            evaluate(facts, old_rules, matcher=old_matcher), evaluate(facts, new_rules, matcher=new_matcher)
        )
        if change is not None:
            changes.append((permit_id, change))
    evaluate_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS bench_floor_finding (LIKE rechecks_finding)")
        cursor.execute("TRUNCATE bench_floor_finding")
        with cursor.copy(
            "COPY bench_floor_finding (id, run_id, permit_id, direction, old_outcome, new_outcome, newly_fired, "
            "no_longer_fired, status, triage_reason, created_at) FROM STDIN"
        ) as copy:
            for n, (permit_id, c) in enumerate(changes, 1):
                copy.write_row(
                    (n, 0, permit_id, c["direction"], c["old_outcome"], c["new_outcome"],
                     json.dumps(c["newly_fired"]), json.dumps(c["no_longer_fired"]), "open", "", "now")
                )  # fmt: skip
    write = time.perf_counter() - t0
    return {
        "permits": len(rows),
        "read": read,
        "evaluate": evaluate_seconds,
        "write": write,
        "total": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "changes": {pid: (c["direction"], c["old_outcome"], c["new_outcome"]) for pid, c in changes},
    }


# --- The benchmark ------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> list[Figure]:
    from django.conf import settings
    from django.db import transaction

    from config.celery import app
    from rechecks.models import Trigger
    from rechecks.services import recheck_run_create
    from screening.models import RuleSetVersion
    from screening.services import rule_set_publish

    from .population import DEFAULT_SEED, check_sample, populate

    loads = {"start": _load()}
    seed = args.recheck_seed or DEFAULT_SEED
    population = populate(args.permits, seed=seed)
    if population.reused:
        print(f"   {args.permits:,} permits in force (seed {seed}), written earlier in this database")
    else:
        written = ", ".join(f"{table} {count:,}" for table, count in population.rows.items())
        print(f"   {args.permits:,} permits in force (seed {seed}) written in {population.seconds:.0f} s: {written}")
    check_sample(population)

    broker = _broker_url()
    eager = app.conf.task_always_eager
    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
    # Celery opens its producer pool even for an eager task, so whatever ran in-process before this point (a
    # fresh population publishes a rule set) left a pool on the in-memory broker; the pings and the chunks would
    # go there and no worker would ever see them. Drop it, as Celery itself does after a fork.
    app._after_fork()
    if args.recheck_chunk_size:
        settings.RECHECK_CHUNK_SIZE = args.recheck_chunk_size
    app.control.purge()
    log_dir = tempfile.mkdtemp(prefix="licensa-bench-workers-")
    workers = _start_workers(args.workers, broker, log_dir)
    try:
        _wait_ready(app, workers)
        print(f"   {args.workers} Celery worker processes (--pool solo: one task at a time each) on {broker}")

        base = RuleSetVersion.objects.filter(status="published").order_by("-published_at", "-id").first()
        _warm_up(base, args.recheck_timeout)
        label = f"bench-recheck-{time.strftime('%Y%m%d-%H%M%S')}"
        draft, before, after = _changed_draft(base, label)
        print(f"   {base.label} -> {draft.label}: {RULE} {before} -> {after}, effective {DECISIVE_DATE}")

        # (1) Incremental, from publish to completion.
        loads["incremental"] = _load()
        cpu = _cpu_seconds(workers)
        started = time.time()
        rule_set_publish(version=draft, actor=None, effective_from=DECISIVE_DATE)
        incremental = _wait_run({"new_version": draft, "trigger": Trigger.RULE_SET_PUBLISHED}, args.recheck_timeout)
        incremental_s = incremental.finished_at.timestamp() - started
        phases = _phases(incremental, started)
        incremental_cpu = _cpu_seconds(workers) - cpu
        print(
            f"   incremental: {incremental.total:,} permits selected ({incremental.total / args.permits:.2%}), "
            f"{incremental.changed} changed, {incremental.failed} failed, {incremental_s:.2f} s, "
            f"workers' CPU {incremental_cpu:.2f} s (load {loads['incremental']})"
        )
        print(f"      {phases}")

        # (2) Full, the same two versions and day, every permit in force.
        loads["full"] = _load()
        cpu = _cpu_seconds(workers)
        started = time.time()
        with transaction.atomic():
            full = recheck_run_create(
                trigger=Trigger.MANUAL,
                old_version=base,
                new_version=draft,
                decisive_date=incremental.decisive_date,
                actor=None,
                scope={"incremental": False},
            )
        full = _wait_run({"pk": full.pk}, args.recheck_timeout)
        full_s = full.finished_at.timestamp() - started
        full_phases = _phases(full, started)
        full_cpu = _cpu_seconds(workers) - cpu
        print(
            f"   full: {full.total:,} permits, {full.chunk_count} chunks, {full.changed} changed, "
            f"{full.failed} failed, {full_s:.2f} s, workers' CPU {full_cpu:.1f} s (load {loads['full']})"
        )
        print(f"      {full_phases}")
    finally:
        _stop_workers(workers)
        app.conf.task_always_eager = eager

    # (3) The floor, in this process, with the workers gone.
    loads["floor"] = _load()
    result = floor(old_version=base, new_version=draft, decisive_date=incremental.decisive_date)
    print(
        f"   floor: {result['permits']:,} permits read in {result['read']:.2f} s, evaluated in "
        f"{result['evaluate']:.2f} s, {len(result['changes'])} findings written in {result['write']:.2f} s: "
        f"{result['total']:.2f} s, CPU of this process {result['cpu']:.1f} s (load {loads['floor']})"
    )
    loads["end"] = _load()

    full_findings, incremental_findings = _findings(full), _findings(incremental)
    if full.failed or incremental.failed:
        raise RuntimeError(f"permits failed to evaluate: full {full.failed}, incremental {incremental.failed}")
    if full.total != result["permits"] or full.total != population.permits:
        raise RuntimeError(f"the full run saw {full.total} permits, the floor {result['permits']}")
    if full_findings != result["changes"]:
        raise RuntimeError(
            f"the full run and the floor disagree: {len(full_findings)} and {len(result['changes'])} changed permits"
        )
    if incremental_findings != full_findings:
        raise RuntimeError(
            f"the incremental run found {len(incremental_findings)} changed permits, the full run {len(full_findings)}"
        )
    print(f"   full run, incremental run and floor agree: {len(full_findings)} changed permits, the same ones")
    print("   load average (1, 5, 15 min): " + "; ".join(f"{k} {v}" for k, v in loads.items()))

    return [
        Figure("recheck_full_s", round(full_s, 2), "s", TARGET_FULL_SECONDS, higher_is_better=False),
        Figure("recheck_full_vs_floor", round(full_s / result["total"], 2), "x", TARGET_FULL_VS_FLOOR, False),
        Figure("recheck_incremental_s", round(incremental_s, 2), "s", TARGET_INCREMENTAL_SECONDS, False),
        Figure("recheck_floor_s", round(result["total"], 2), "s"),
        Figure("recheck_floor_read_s", round(result["read"], 2), "s"),
        Figure("recheck_floor_evaluate_s", round(result["evaluate"], 2), "s"),
        Figure("recheck_floor_write_s", round(result["write"], 3), "s"),
        Figure("recheck_full_permits_per_s", round(full.total / full_s, 1), "permits/s"),
        Figure("recheck_full_worker_cpu_s", round(full_cpu, 1), "s"),
        Figure("recheck_floor_cpu_s", round(result["cpu"], 1), "s"),
        Figure("recheck_full_vs_floor_cpu", round(full_cpu / result["cpu"], 2), "x"),
        Figure("recheck_incremental_worker_cpu_s", round(incremental_cpu, 2), "s"),
        Figure("recheck_permits", full.total, "permits"),
        Figure("recheck_incremental_selected", incremental.total, "permits"),
        Figure("recheck_changed", full.changed, "permits"),
        Figure("recheck_workers", args.workers, "processes"),
        Figure("recheck_load_average_start", float(loads["start"].split()[0]), "load"),
        Figure("recheck_load_average_full", float(loads["full"].split()[0]), "load"),
    ]
