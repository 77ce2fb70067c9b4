"""The settings read the environment: each case runs `django.setup()` in a fresh interpreter with a chosen
environment, since settings are read once per process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTROLLED = (
    "DEBUG",
    "SECRET_KEY",
    "LICENSA_TESTING",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "SQLITE_PATH",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
)
REPORT = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "EMAIL_HOST": settings.EMAIL_HOST,
    "EMAIL_PORT": settings.EMAIL_PORT,
    "EMAIL_USE_TLS": settings.EMAIL_USE_TLS,
    "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
    "SECURE_SSL_REDIRECT": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
}))
"""


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    base.update(DJANGO_SETTINGS_MODULE="config.settings", SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", REPORT], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60, check=False
    )


def loaded(tmp_path: Path, **env: str) -> dict:
    result = run_settings(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_refuse_to_start_without_secret_key(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_debug_off_with_secret_key_starts_hardened(tmp_path):
    s = loaded(tmp_path, SECRET_KEY="x" * 50, ALLOWED_HOSTS="licensa.example.org, www.licensa.example.org")
    assert s["DEBUG"] is False
    assert s["ALLOWED_HOSTS"] == ["licensa.example.org", "www.licensa.example.org"]
    assert s["SECURE_SSL_REDIRECT"] is True and s["SESSION_COOKIE_SECURE"] is True


def test_no_database_url_means_sqlite_at_sqlite_path(tmp_path):
    s = loaded(tmp_path, SECRET_KEY="x" * 50)
    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert s["NAME"] == str(tmp_path / "db.sqlite3")


def test_database_url_means_postgresql(tmp_path):
    s = loaded(tmp_path, SECRET_KEY="x" * 50, DATABASE_URL="postgres://licensa@db.internal:5432/licensa")
    assert s["ENGINE"] == "django.db.backends.postgresql"
    assert s["NAME"] == "licensa"


def test_no_redis_url_means_tasks_run_in_process(tmp_path):
    s = loaded(tmp_path, SECRET_KEY="x" * 50)
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["CELERY_BROKER_URL"].startswith("memory://")


def test_tasks_in_process_take_their_producer_without_a_warning(tmp_path):
    # An eager task still takes a producer from the broker's pool; a memory:// URL without a host made kombu
    # log "No hostname was supplied" once in every process that submitted a case.
    script = (
        "import django; django.setup()\nfrom config.celery import app\nwith app.producer_or_acquire(None):\n    pass\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    base.update(DJANGO_SETTINGS_MODULE="config.settings", SQLITE_PATH=str(tmp_path / "db.sqlite3"), SECRET_KEY="x" * 50)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "hostname" not in result.stderr, result.stderr


def test_redis_url_means_a_real_broker(tmp_path):
    s = loaded(tmp_path, SECRET_KEY="x" * 50, REDIS_URL="redis://cache.internal:6379/3")
    assert s["CELERY_TASK_ALWAYS_EAGER"] is False
    assert s["CELERY_BROKER_URL"] == "redis://cache.internal:6379/3"


def test_email_comes_from_the_environment(tmp_path):
    s = loaded(
        tmp_path,
        SECRET_KEY="x" * 50,
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        DEFAULT_FROM_EMAIL="Licensa <noreply@example.org>",
    )
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_USE_TLS"]) == ("smtp.example.org", 587, True)
    assert s["DEFAULT_FROM_EMAIL"] == "Licensa <noreply@example.org>"


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_debug_on_runs_without_secret_key(tmp_path, value):
    s = loaded(tmp_path, DEBUG=value)
    assert s["DEBUG"] is True
    assert "127.0.0.1" in s["ALLOWED_HOSTS"]
