"""Load: gunicorn on PostgreSQL with 100,000 permits and their cases, 20 users for 60 seconds (locust, headless).

The register comes from benchmarks/population.py (one approved case per permit, spread over the generator's
exporting organisations). On top of it, the cases beyond the permits' (`--load-cases` minus `--permits`) are written
in every other status, copied from the register's cases with their items and parties: drafts, submitted,
screened and waiting in the review queues, in review, waiting for information or a countersignature, refused,
withdrawn, closed; the open ones are routed to a queue (most to the general one) with a review clock.

gunicorn serves the project with production settings (DEBUG off, collected static files through whitenoise, a
throwaway SECRET_KEY), and locust drives it (benchmarks/locustfile.py): officers of the organisation with the
most cases read their case list and case pages and screen case documents through the API with a token;
reviewers read the list of every submitted case, the general queue and case pages. Everyone signs in first,
through the login form or the token API. Then each page is requested once more in this process with the test
client, counting its SQL statements, to say where the time goes.
"""

import csv
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .results import Figure

NAME = "load"
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-" + secrets.token_urlsafe(12)
MARKER_TABLE = "benchmark_load_cases"
PAGE_TARGET_MS = 150.0
API_TARGET_MS = 50.0
ENDPOINTS = {
    # locust's name: (figure prefix, p95 target)
    "case list (officer)": ("load_case_list_officer", PAGE_TARGET_MS),
    "case list (reviewer)": ("load_case_list_reviewer", PAGE_TARGET_MS),
    "reviewer queue": ("load_queue", PAGE_TARGET_MS),
    "case page": ("load_case_page", PAGE_TARGET_MS),
    "screening API": ("load_screening_api", API_TARGET_MS),
}
# The statuses of the cases beyond the permits', by share (approved ones are the register's).
OPEN_STATUSES = [
    ("draft", 10),
    ("submitted", 5),
    ("screened", 35),
    ("in_review", 20),
    ("information_requested", 10),
    ("awaiting_countersignature", 5),
    ("refused", 5),
    ("withdrawn", 5),
    ("closed", 5),
]
ROUTED = ("screened", "in_review", "information_requested", "awaiting_countersignature")
CLAIMED = ("in_review", "information_requested", "awaiting_countersignature")


def add_arguments(parser) -> None:
    parser.add_argument("--users", type=int, default=20, help="load: concurrent users (default 20)")
    parser.add_argument("--duration", type=int, default=60, help="load: seconds of load (default 60)")
    # --cases is the intake's and --workers the re-check's Celery workers; --permits is shared with the re-check.
    parser.add_argument(
        "--load-cases", type=int, default=110_000, help="load: cases in all, at least --permits (default 110,000)"
    )
    parser.add_argument("--web-workers", type=int, default=0, help="load: gunicorn workers (default 2 × CPUs + 1)")
    parser.add_argument(
        "--worker-class",
        action="append",
        choices=["sync", "gthread"],
        help="load: gunicorn worker class; repeat to measure both (default sync)",
    )
    parser.add_argument(
        "--wait", default="1-2", help="load: each user's think time between requests, seconds 'min-max' (default 1-2)"
    )


# --- The database ----------------------------------------------------------------------------------------------


def _open_cases(extra: int, seed: int) -> int:
    """Write `extra` cases in the other statuses (see the module's note), once per database; returns how many
    this database holds."""
    from django.db import connection, transaction

    from .population import TABLES

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (cases integer NOT NULL)")
        cursor.execute(f"SELECT cases FROM {MARKER_TABLE}")
        row = cursor.fetchone()
    if row is not None:
        if row[0] != extra:
            raise RuntimeError(f"this database holds {row[0]} cases beyond the permits'; use a fresh one for {extra}")
        return row[0]
    if extra <= 0:
        return 0
    statuses = [status for status, share in OPEN_STATUSES for _ in range(share)]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    case_columns = [c for c in TABLES["cases_case"] if c != "id"]
    item_columns = [c for c in TABLES["cases_item"] if c not in ("id", "case_id")]
    party_columns = [c for c in TABLES["cases_party"] if c not in ("id", "case_id")]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM review_queue WHERE slug = 'general'")
        general = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM review_queue WHERE slug = 'senior'")
        senior = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM accounts_user WHERE username = %s", [f"load-reviewer-{seed}"])
        reviewer = cursor.fetchone()[0]
        # Source cases spread over the register, so every organisation gets open cases in its share.
        cursor.execute("SELECT id FROM cases_case WHERE status = 'approved' ORDER BY id LIMIT %s", [extra])
        sources = [r[0] for r in cursor.fetchall()]
        cursor.execute(
            "CREATE TEMPORARY TABLE load_map (n integer, source_id bigint, status text, submitted_at timestamptz, "
            "new_id bigint) ON COMMIT DROP"
        )
        rows = []
        for n, source in enumerate(sources):
            status = rng.choice(statuses)
            submitted = None if status == "draft" else now - timedelta(days=rng.randint(0, 60), minutes=n % 1440)
            rows.append((n, source, status, submitted))
        with cursor.copy("COPY load_map (n, source_id, status, submitted_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        reference = f"'LD{seed}-' || lpad(m.n::text, 7, '0')"
        selected = ", ".join(
            {
                "reference": reference,
                "status": "m.status",
                "submitted_at": "m.submitted_at",
                "created_at": "coalesce(m.submitted_at, now())",
                "updated_at": "coalesce(m.submitted_at, now())",
            }.get(c, f"c.{c}")
            for c in case_columns
        )
        cursor.execute(
            f"WITH inserted AS (INSERT INTO cases_case ({', '.join(case_columns)}) "
            f"SELECT {selected} FROM load_map m JOIN cases_case c ON c.id = m.source_id RETURNING id, reference) "
            f"UPDATE load_map m SET new_id = i.id FROM inserted i WHERE i.reference = {reference}"
        )
        cursor.execute(
            f"INSERT INTO cases_item ({', '.join(item_columns)}, case_id) "
            f"SELECT {', '.join('i.' + c for c in item_columns)}, m.new_id FROM load_map m "
            "JOIN cases_item i ON i.case_id = m.source_id"
        )
        cursor.execute(
            f"INSERT INTO cases_party ({', '.join(party_columns)}, case_id) "
            f"SELECT {', '.join('p.' + c for c in party_columns)}, m.new_id FROM load_map m "
            "JOIN cases_party p ON p.case_id = m.source_id"
        )
        # Routed cases: most to the general queue, one in five to the seniors'; claimed ones by the reviewer.
        cursor.execute(
            "INSERT INTO review_caseassignment (case_id, queue_id, outcome, assigned_to_id, assigned_at, routed_at) "
            "SELECT m.new_id, CASE WHEN m.n %% 5 = 0 THEN %s ELSE %s END, 'licence_required', "
            "CASE WHEN m.status = ANY(%s) THEN %s END, CASE WHEN m.status = ANY(%s) THEN m.submitted_at END, "
            "m.submitted_at FROM load_map m WHERE m.status = ANY(%s)",
            [senior, general, list(CLAIMED), reviewer, list(CLAIMED), list(ROUTED)],
        )
        # A review clock of 45 working days (about 63 calendar days) from submission.
        cursor.execute(
            "INSERT INTO timelimits_caseclock (case_id, started_on, limit_working_days, paused_working_days, "
            "due_on, due_soon_on, updated_at) SELECT m.new_id, m.submitted_at::date, 45, 0, "
            "m.submitted_at::date + 63, m.submitted_at::date + 56, now() FROM load_map m WHERE m.status = ANY(%s)",
            [list(ROUTED)],
        )
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (cases) VALUES (%s)", [extra])
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_item", "cases_party", "review_caseassignment", "timelimits_caseclock"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return extra


def _accounts(seed: int) -> dict:
    """The load's own officer (of the organisation with the most cases) and reviewer, with a password."""
    from django.db.models import Count

    from accounts.models import Organisation, User
    from accounts.roles import Role
    from accounts.services import user_create

    org = Organisation.objects.annotate(n=Count("cases")).order_by("-n").first()
    accounts = {}
    for key, organisation, roles in (
        ("officer", org, [Role.OFFICER]),
        ("reviewer", None, [Role.REVIEWER]),
    ):
        username = f"load-{key}-{seed}"
        user = User.objects.filter(username=username).first() or user_create(
            username=username, password=PASSWORD, organisation=organisation, roles=roles
        )
        user.set_password(PASSWORD)  # a new throwaway password each run
        user.save(update_fields=["password"])
        accounts[key] = user
    return accounts


# --- Serving and driving ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.pop("REDIS_URL", None)  # pages and the screening API enqueue nothing
    return env


def _serve(worker_class: str, workers: int, port: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        command += ["--threads", "4"]
    server = subprocess.Popen(command, cwd=ROOT, env=_server_env(), start_new_session=True)
    # The master listens before its workers have loaded Django: wait until the login page answers, a few times in
    # a row, so that the timed minute does not start with workers still booting.
    deadline = time.monotonic() + 180
    answered = 0
    while answered < 2 * workers:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting")
        if time.monotonic() > deadline:
            _stop(server)
            raise RuntimeError("gunicorn did not answer within 180 s")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/login/", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=30) as answer:
                answered += answer.status == 200
        except OSError:
            answered = 0
            time.sleep(0.5)
    return server


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


def _load_average(samples: list[float], stop: threading.Event) -> None:
    while not stop.wait(5):
        samples.append(float(Path("/proc/loadavg").read_text().split()[0]))


def _drive(args, config_path: str, port: int, folder: str) -> tuple[dict[str, dict], list[float]]:
    prefix = os.path.join(folder, "stats")
    command = [
        str(ROOT / ".venv" / "bin" / "locust"),
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        # The locustfile stops the run `duration` seconds after the last user signed in; this is a safety net.
        "--run-time",
        f"{args.duration + 180}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        prefix,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "LICENSA_LOAD_CONFIG": config_path}
    loads: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_load_average, args=(loads, stop), daemon=True)
    sampler.start()
    try:
        subprocess.run(command, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
    finally:
        stop.set()
        sampler.join()
    with open(prefix + "_stats.csv") as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    return stats, loads


def _documents(count: int, seed: int) -> list[str]:
    """Case documents as the API takes them: the register's generator, amounts as decimal strings."""
    from screening.interface import case_document_errors

    from .population import generate_document

    rng = random.Random(seed)
    out = []
    for n in range(count):
        doc = json.loads(json.dumps(generate_document(rng, n), default=str))
        errors = case_document_errors(doc)
        if errors:
            raise RuntimeError(f"generated case document {n} does not pass the contract: {errors}")
        out.append(json.dumps(doc))
    return out


# --- Where the time goes ---------------------------------------------------------------------------------------


def _profile(accounts: dict, urls: dict[str, tuple[str, str]]) -> None:
    """Each page once more, in this process through the test client: its SQL statements and the slowest ones."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for name, (who, url) in urls.items():
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.force_login(accounts[who])
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            answer = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:2]
        print(f"   profile {name:<22} {answer.status_code} {elapsed:7.1f} ms, {len(queries)} statements")
        for query in slowest:
            print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}")


# --- The benchmark ---------------------------------------------------------------------------------------------


def run(args) -> list[Figure]:
    from cases.models import Case

    from .population import DEFAULT_SEED, populate

    if args.load_cases < args.permits:
        raise SystemExit(
            "--load-cases counts every case, the permits' approved ones too: it must be at least --permits"
        )
    started = time.perf_counter()
    population = populate(args.permits)
    print(f"   register: {population.permits:,} permits ({'reused' if population.reused else 'written'})")
    accounts = _accounts(DEFAULT_SEED)
    extra = _open_cases(args.load_cases - args.permits, DEFAULT_SEED)
    print(f"   cases beyond the permits': {extra:,} ({time.perf_counter() - started:.0f} s to prepare the data)")
    officer, reviewer = accounts["officer"], accounts["reviewer"]
    officer_cases = Case.objects.filter(organisation_id=officer.organisation_id)
    print(
        f"   officer's organisation: {officer_cases.count():,} cases; the reviewer sees "
        f"{Case.objects.exclude(status='draft').count():,}"
    )
    rng = random.Random(1)
    own = list(officer_cases.values_list("reference", flat=True).order_by("id")[:5000])
    every = list(Case.objects.exclude(status="draft").values_list("reference", flat=True).order_by("?")[:500])
    low, _, high = args.wait.partition("-")
    folder = tempfile.mkdtemp(prefix="licensa-load-")
    config = {
        "password": PASSWORD,
        "officer": {"username": officer.username, "references": rng.sample(own, min(500, len(own)))},
        "reviewer": {"username": reviewer.username, "references": every},
        "queue": "general",
        "documents": _documents(200, 7),
        "users": args.users,
        "duration": args.duration,
        "wait_min": float(low),
        "wait_max": float(high or low),
    }
    config_path = os.path.join(folder, "config.json")
    Path(config_path).write_text(json.dumps(config))

    env = _server_env()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    workers = args.web_workers or 2 * (os.cpu_count() or 1) + 1
    figures: list[Figure] = []
    for worker_class in args.worker_class or ["sync"]:
        port = _free_port()
        server = _serve(worker_class, workers, port)
        try:
            print(
                f"   gunicorn: {workers} {worker_class} workers on port {port}; {args.users} users, {args.duration} s"
            )
            before = Path("/proc/loadavg").read_text().split()[0]
            stats, loads = _drive(args, config_path, port, folder)
        finally:
            _stop(server)
        print(f"   load average: {before} before, {max(loads, default=0):.2f} at most during the run")
        suffix = "" if worker_class == "sync" else f"_{worker_class}"
        for name, (prefix, target) in ENDPOINTS.items():
            row = stats.get(name)
            if row is None:
                print(f"   {name}: no requests")
                continue
            prefix += suffix
            figures += [
                Figure(f"{prefix}_p50_ms", float(row["50%"]), "ms", None, False),
                Figure(f"{prefix}_p95_ms", float(row["95%"]), "ms", target, False),
                Figure(f"{prefix}_p99_ms", float(row["99%"]), "ms", None, False),
                Figure(f"{prefix}_errors", float(row["Failure Count"]), "errors", 0, False),
            ]
            print(f"   {name:<22} {row['Request Count']:>6} requests, {row['Failure Count']} failed")
        total = stats.get("Aggregated", {})
        figures += [
            Figure(f"load_requests_per_second{suffix}", float(total.get("Requests/s", 0)), "req/s"),
            Figure(f"load_average_max{suffix}", max(loads, default=0.0), "load"),
        ]
        for name, row in stats.items():
            if name not in ENDPOINTS and name != "Aggregated" and int(row["Failure Count"]):
                print(f"   {name}: {row['Failure Count']} of {row['Request Count']} failed")

    sample_own, sample_any = config["officer"]["references"][0], every[0]
    _profile(
        accounts,
        {
            "case list (officer)": ("officer", "/cases/"),
            "case list (reviewer)": ("reviewer", "/cases/"),
            "reviewer queue": ("reviewer", "/review/queues/general/"),
            "case page (officer)": ("officer", f"/cases/{sample_own}/"),
            "case page (reviewer)": ("reviewer", f"/cases/{sample_any}/"),
        },
    )
    return figures
