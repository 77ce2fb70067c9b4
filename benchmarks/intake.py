"""Case intake through the API, end to end: for each case, create a draft with its items and parties, upload the
end-user certificate, submit. Requests go through Django's full middleware stack and DRF with token
authentication, against PostgreSQL, from several client processes at once (as a server's workers would serve).
Tasks run in-process, so the submit call includes screening the case against the published seed rules."""

import argparse
import multiprocessing
import os
import statistics
import time
import uuid

from .results import Figure

NAME = "intake"
TARGET_CASES_PER_SECOND = 50
PASSWORD = "bench-" + uuid.uuid4().hex
PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--cases", type=int, default=1000, help="cases to create and submit (default 1000)")
    group.add_argument("--items", type=int, default=5, help="item lines per case (default 5)")
    group.add_argument("--parties", type=int, default=3, help="parties per case (default 3)")
    group.add_argument(
        "--clients", type=int, default=os.cpu_count() or 1, help="client processes at once (default: CPU count)"
    )


def case_payload(number: int, items: int, parties: int) -> dict:
    lines = []
    for index in range(items):
        line = {
            "kind": "goods",
            "description": f"Sintered NdFeB magnet blocks, lot {number}-{index}, 2.5 wt % Dy",
            "control_code": "1C905.a",
            "hs_code": "8505111000",
            "produced_in": "CN",
            "quantity": {"amount": f"{100 + index}.5", "unit": "kg"},
            "value": {"amount": f"{8400 + 17 * index}.25", "currency": "USD"},
            "elements": [
                {"element": "Nd", "form": "magnet", "mass_fraction": "0.29"},
                {"element": "Dy", "form": "magnet", "mass_fraction": "0.025"},
            ],
        }
        if index % 2:
            line["content"] = [
                {"element": "Tb", "form": "metal", "origin_country": "CN", "value_share": "0.004"},
            ]
        lines.append(line)
    roles = ["end_user", "consignee", "purchaser", "intermediate_consignee", "other"]
    people = [
        {
            "role": roles[index % len(roles)],
            "name": f"Stuttgart Antriebstechnik GmbH {number}-{index}",
            "address": "Industriestr. 5, 70565 Stuttgart",
            "country": "DE",
            "category": "commercial",
            "owners": [{"name": "Antrieb Holding AG", "country": "DE", "share": "0.6"}] if index == 0 else [],
        }
        for index in range(parties)
    ]
    return {
        "licence_type": "single",
        "transaction": "export",
        "destination_country": "DE",
        "decisive_date": "2025-06-01",
        "items": lines,
        "parties": people,
        "end_use": {"categories": ["civil"], "description": "Traction motors for electric cars"},
    }


def _client(token: str):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _expect(response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{what} answered {response.status_code}, expected {status}: {response.content[:500]!r}")
    return response.json()


class _QueryCounter:
    """Counts the SQL statements the app sends: a figure that, unlike time, does not move with machine load."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _backend_cpu(connection) -> float | None:
    """CPU seconds this connection's PostgreSQL backend has spent, from its /proc counters; None when the server
    is not on this machine (or /proc cannot be read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"postgres" not in cmdline.read():
                return None  # a process of the same number here, not the server's backend
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _file_cases(
    job: tuple[str, list[int], int, int],
) -> tuple[list[tuple[float, float, float]], int, float, float | None]:
    """One client: create, upload and submit its share of the cases. Returns the time each call took, the
    statements sent, the CPU seconds this process spent (the app runs in it, behind the test client) and those
    its database backend spent (None when they cannot be read)."""
    from django.db import connection

    token, numbers, items, parties = job
    client = _client(token)
    counter = _QueryCounter()
    database = _backend_cpu(connection)
    cpu = time.process_time()
    with connection.execute_wrapper(counter):
        timings = _file_share(client, numbers, items, parties)
    cpu = time.process_time() - cpu
    if database is not None:
        database = _backend_cpu(connection) - database
    return timings, counter.count, cpu, database


def _file_share(client, numbers: list[int], items: int, parties: int) -> list[tuple[float, float, float]]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    timings = []
    for number in numbers:
        t0 = time.perf_counter()
        created = _expect(
            client.post("/api/v1/cases", case_payload(number, items, parties), format="json", secure=True),
            201,
            "create",
        )
        reference = created["reference"]
        t1 = time.perf_counter()
        upload = SimpleUploadedFile("end-user-certificate.pdf", PDF, content_type="application/pdf")
        _expect(
            client.post(
                f"/api/v1/cases/{reference}/documents",
                {"doc_type": "end_user_certificate", "file": upload},
                format="multipart",
                secure=True,
            ),
            201,
            "upload",
        )
        t2 = time.perf_counter()
        submitted = _expect(
            client.post(f"/api/v1/cases/{reference}/submit", {}, format="json", secure=True), 200, "submit"
        )
        t3 = time.perf_counter()
        if submitted["status"] not in ("submitted", "screened"):
            raise RuntimeError(f"{reference} is {submitted['status']} after submit")
        timings.append((t1 - t0, t2 - t1, t3 - t2))
    return timings


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> list[Figure]:
    from django.db import connections

    from accounts.roles import Role
    from accounts.services import organisation_create, user_create
    from cases.models import Case

    run_id = uuid.uuid4().hex[:8]
    organisation = organisation_create(name=f"Benchmark Magnets {run_id} Co., Ltd.", country="CN")
    username = f"bench-{run_id}"
    user_create(username=username, password=PASSWORD, organisation=organisation, roles=[Role.OFFICER])

    # Sign in through the API, as a client would.
    token = _expect(
        _client("").post(
            "/api/v1/auth/token", {"username": username, "password": PASSWORD}, format="json", secure=True
        ),
        200,
        "token",
    )["token"]

    clients = max(1, min(args.clients, args.cases))
    shares = [list(range(start, args.cases, clients)) for start in range(clients)]
    jobs = [(token, share, args.items, args.parties) for share in shares]
    print(f"   {args.cases} cases of {args.items} items and {args.parties} parties, {clients} client processes")
    # Each forked client opens its own database connection; none may inherit ours.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(clients) as pool:
        per_client = pool.map(_file_cases, jobs)
    elapsed = time.perf_counter() - started

    timings = [t for share, _, _, _ in per_client for t in share]
    queries = sum(count for _, count, _, _ in per_client)
    cpu = sum(seconds for _, _, seconds, _ in per_client)
    database = [seconds for _, _, _, seconds in per_client]
    # Tasks run in-process here, so every submitted case must also have been screened.
    screened = Case.objects.filter(organisation=organisation, status="screened").count()
    if screened != args.cases or len(timings) != args.cases:
        raise RuntimeError(f"expected {args.cases} submitted and screened cases, found {screened}")

    create, upload, submit = ([t[i] * 1000 for t in timings] for i in range(3))
    return [
        Figure("intake_cases_per_second", round(args.cases / elapsed, 2), "cases/s", TARGET_CASES_PER_SECOND),
        Figure("intake_submit_p50", round(statistics.median(submit), 2), "ms"),
        Figure("intake_submit_p95", round(_percentile(submit, 95), 2), "ms"),
        Figure("intake_create_p50", round(statistics.median(create), 2), "ms"),
        Figure("intake_create_p95", round(_percentile(create, 95), 2), "ms"),
        Figure("intake_upload_p50", round(statistics.median(upload), 2), "ms"),
        Figure("intake_upload_p95", round(_percentile(upload, 95), 2), "ms"),
        Figure("intake_queries_per_case", round(queries / args.cases, 1), "queries"),
        Figure("intake_app_cpu_per_case", round(cpu / args.cases * 1000, 2), "ms"),
        *(
            # The clients' PostgreSQL backends, which share the machine's cores with them.
            [Figure("intake_db_cpu_per_case", round(sum(database) / args.cases * 1000, 2), "ms")]
            if None not in database
            else []
        ),
        Figure("intake_clients", clients, "processes"),
    ]
