import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("licensa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_command(*, hostname: str) -> list[str]:
    """A worker that takes one task at a time and stays out of the way of others on the broker (no gossip, mingle
    or heartbeat), named `hostname@<machine>`: what the tests and the re-check benchmark start as processes of
    their own. `make run` starts its worker with beat and INFO logging instead."""
    return [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING",
        "--hostname", f"{hostname}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
