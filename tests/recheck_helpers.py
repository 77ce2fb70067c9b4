"""Builders for re-check tests: rule packs derived from the shipped seed, permits in force on real, screened cases,
and Celery workers started as separate processes against the test database."""

import copy
import json
import os
import signal
import subprocess
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path

from django.db import connection

from cases.services import case_submit
from config.celery import worker_command
from permits.models import Permit
from screening.models import LicenceType, Screening
from screening.services import rule_set_import, rule_set_publish

from .factories import make_case

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "screening" / "seed" / "rulepack.json"
_numbers = iter(range(1, 10**6))


def seed_pack() -> dict:
    return json.loads(SEED.read_text())


def pack_variant(label: str, *, drop_rules=(), drop_suspensions=(), suspension_ends=None, base=None) -> dict:
    """The seed (or `base`) with rules or suspensions removed, or suspensions ending on another day."""
    pack = copy.deepcopy(base or seed_pack())
    pack["version"] = {**pack["version"], "label": label}
    pack["rules"] = [r for r in pack["rules"] if r["code"] not in drop_rules]
    pack["rules"] = [
        {
            **r,
            "conditions": {
                **r["conditions"],
                "excludes": [c for c in r["conditions"]["excludes"] if c not in drop_rules],
            },
        }
        if r["type"] == "exclusion"
        else r
        for r in pack["rules"]
    ]
    pack["rules"] = [r for r in pack["rules"] if r["type"] != "exclusion" or r["conditions"]["excludes"]]
    pack["suspensions"] = [s for s in pack.get("suspensions", []) if s["key"] not in drop_suspensions]
    for key, end in (suspension_ends or {}).items():
        for s in pack["suspensions"]:
            if s["key"] == key:
                s["to"] = end.isoformat()
                s["to_inclusive"] = True
    return pack


def publish(pack: dict, *, effective_from: date | None = None):
    version = rule_set_import(pack=pack, actor=None)
    return rule_set_publish(version=version, actor=None, effective_from=effective_from)


def permit_for(case, reviewer, *, valid_from: date = date(2026, 1, 1)) -> Permit:
    """A permit in force for a screened case. Written directly: the re-check reads permits, and how they come to
    be issued (approval, four eyes) is the permits app's business and tested there."""
    screening = Screening.objects.filter(case=case).select_related("version").first()
    licence_type = LicenceType.objects.filter(version=screening.version, code=case.licence_type).first()
    end_user = case.parties.filter(role="end_user").first()
    return Permit.objects.create(
        number=f"PRM-TEST-{next(_numbers):06d}",
        organisation=case.organisation,
        case=case,
        rule_set=screening.version,
        screening=screening,
        licence_type=licence_type,
        destination_country=case.destination_country,
        end_user_name=end_user.name,
        end_user_country=end_user.country,
        valid_from=valid_from,
        valid_to=valid_from + timedelta(days=364),
        issued_by=reviewer,
    )


def no_capture(execute=True):
    """For `permit_on` in a transactional test, where every commit runs its on-commit callbacks at once: nothing to
    capture."""
    return nullcontext()


def permit_on(officer, reviewer, capture, **case_overrides) -> Permit:
    case = make_case(officer, **case_overrides)
    with capture(execute=True):
        case_submit(case=case, actor=officer)
    case.refresh_from_db()
    return permit_for(case, reviewer)


def worker_env(*, redis_url: str | None = None) -> dict:
    """This process's environment, pointed at the test database (which the worker must see committed) and, if
    given, at another broker than REDIS_URL."""
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.test_settings", "PYTHONPATH": str(ROOT)}
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


def start_worker(name: str, *, redis_url: str | None = None, log=None) -> subprocess.Popen:
    """One Celery worker taking one task at a time, in a process group of its own so it can be killed whole;
    its output goes to `log` if given, else nowhere."""
    return subprocess.Popen(
        worker_command(hostname=name),
        cwd=ROOT, env=worker_env(redis_url=redis_url), stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def stop_worker(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    """Stops the worker with `sig` (SIGTERM: a warm shutdown; SIGKILL: the machine dies), killing it if it has not
    gone within 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_for(predicate, seconds: float, what: str):
    """`predicate`'s first true value, asked every 50 ms; fails the test naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")
