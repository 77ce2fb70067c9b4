"""`make bench`: prepare PostgreSQL and Django once, then run each benchmark module and record its figures.

A benchmark module has `NAME`, an optional `add_arguments(parser)`, and `run(args) -> list[Figure]`; it runs
with Django set up and the database migrated. Later benchmarks are added to MODULES.
"""

import argparse
import importlib
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from .results import RESULTS_FILE, merge_results

MODULES = [
    "benchmarks.intake",
    "benchmarks.screening",
    "benchmarks.matching",
    "benchmarks.recheck",
    "benchmarks.load",
    "benchmarks.search",
]
DEFAULT_DATABASE = "licensa_bench"
ROOT = Path(__file__).resolve().parent.parent


def _machine() -> dict[str, str]:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _prepare_database() -> None:
    """Use DATABASE_URL if given; otherwise recreate a benchmark database of our own on the local PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("make bench measures against PostgreSQL: DATABASE_URL must be a postgres:// URL.")
        print(f"Database: DATABASE_URL ({url.rsplit('@', 1)[-1]})")
        return
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DEFAULT_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DEFAULT_DATABASE}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DEFAULT_DATABASE}"
    print(f"Database: DATABASE_URL is not set, so using a fresh database {DEFAULT_DATABASE} on 127.0.0.1:5432.")


def _configure_django(media_root: str) -> None:
    # Production settings (DEBUG off, argon2, the whole middleware stack), with a throwaway secret and the host
    # name Django's test client sends. The client sends its requests as HTTPS, so no redirect gets in the way.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Tasks run in-process (the embedded default), so each submit call includes screening the case: the figures
    # need no worker and count all the work a submission causes. The re-check benchmark starts Celery workers of
    # its own, on this Redis.
    os.environ["LICENSA_BENCH_REDIS_URL"] = os.environ.pop("REDIS_URL", "")
    sys.path.insert(0, str(ROOT))
    # No collectstatic here: the API serves no static files, so whitenoise's missing-directory warning is noise.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--only", action="append", help="run only this benchmark (its NAME); repeatable")
    parser.add_argument("--no-write", action="store_true", help="print the figures without writing results.json")
    modules = [importlib.import_module(name) for name in MODULES]
    for module in modules:
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser.add_argument_group(module.NAME))
    args = parser.parse_args(argv)

    machine = _machine()
    _prepare_database()
    media_root = tempfile.mkdtemp(prefix="licensa-bench-media-")
    try:
        _configure_django(media_root)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        # Submission screens the case; with the seed rules published it does so for real, as after `make setup`.
        call_command("load_rule_pack", publish=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            machine["postgresql"] = cursor.fetchone()[0]
        print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
        git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        print(f"Commit: {git.stdout.strip() or 'unknown'}")

        figures = []
        for module in modules:
            if args.only and module.NAME not in args.only:
                continue
            print(f"\n== {module.NAME}")
            started = time.perf_counter()
            results = module.run(args)
            print(f"   ({time.perf_counter() - started:.1f} s)")
            for figure in results:
                print(f"   {figure.name:<36} {figure.value:>10.2f} {figure.unit:<8} {figure.verdict}")
            figures.extend(results)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)

    if not args.no_write:
        merge_results(figures)
        print(f"\nWrote {len(figures)} figures to {RESULTS_FILE.relative_to(ROOT)}.")
    return 0
