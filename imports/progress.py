"""Progress of a running import, written where the job's page can read it while the import is still running.

A list or rule-pack import writes its rows in one transaction, so that a failure leaves the old version in force.
Counts written through the same database connection would be part of that transaction and invisible until it
commits, which is exactly when they stop mattering. On PostgreSQL the counts therefore go through a second
connection of their own, in autocommit: each write is a short transaction of one UPDATE that the polling page
sees at once. That connection only ever touches the job's row, which the import's transaction never writes, so
the two cannot wait on each other; a lock timeout and a swallowed error keep a progress write from ever holding up
or failing the import itself.

SQLite allows one writer at a time, so a second connection would wait for the import to finish; there the counts
go through the import's own connection (on the embedded default the import runs inside the request that queued
it, and nobody is polling meanwhile). Writes are throttled by time: at most one per `interval` seconds, whatever
the number of rows, plus one at every change of stage."""

import logging
import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

from .models import ImportJob

log = logging.getLogger(__name__)


class JobProgress:
    def __init__(self, job_id: int, *, interval: float = 0.5, using: str = DEFAULT_DB_ALIAS):
        self.job_id = job_id
        self.interval = interval
        self.using = using
        self._side = None
        self._last = 0.0
        self._stage: str | None = None

    def __enter__(self) -> "JobProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._side is not None:
            try:
                self._side.close()
            finally:
                self._side = None

    def __call__(self, *, stage: str, done: int, total: int = 0) -> None:
        """Record `done` of `total` in `stage` (total 0: not known yet), unless the last write was too recent."""
        now = time.monotonic()
        if stage == self._stage and now - self._last < self.interval:
            return
        self._stage, self._last = stage, now
        self.write(stage=stage, done=done, total=total)

    def write(self, *, stage: str, done: int, total: int) -> None:
        values = {"stage": stage, "done": done, "total": total}
        try:
            if self._use_side_connection():
                self._write_aside(values)
            else:
                ImportJob.objects.using(self.using).filter(pk=self.job_id, status=ImportJob.Status.RUNNING).update(
                    **values, updated_at=timezone.now()
                )
        except DatabaseError:
            # Progress is for the eye: a write that fails must not fail the import it describes.
            log.warning("progress of import job %s not recorded", self.job_id, exc_info=True)

    def _use_side_connection(self) -> bool:
        main = connections[self.using]
        return main.vendor == "postgresql" and main.in_atomic_block

    def _write_aside(self, values: dict) -> None:
        if self._side is None:
            main = connections[self.using]
            # A connection of its own, not registered with Django's handler: it lives as long as this import.
            self._side = type(main)(dict(main.settings_dict), self.using)
            with self._side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
        table = ImportJob._meta.db_table
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET stage = %s, done = %s, total = %s, updated_at = %s "  # noqa: S608 - table name is ours
                "WHERE id = %s AND status = %s",
                [values["stage"], values["done"], values["total"], timezone.now(), self.job_id, "running"],
            )
