"""Plans made for the values searched for, not once for any value.

The settings have psycopg prepare a statement the second time a connection runs it, and PostgreSQL then plans a
prepared statement once for any parameters ("generic") when that looks no dearer than planning it for each. For a
search the best plan depends on the term: a reference found in one row by its trigram index, or the newest cases
read in order until 25 contain "magnet". A generic plan cannot know which, and picked the second for every term:
seconds instead of milliseconds for a reference (docs/benchmarks.md, Search). So searches run unprepared, and
PostgreSQL plans each with its values, a millisecond or two each time."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def planned_for_each_run() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection  # psycopg's connection: None stops it preparing statements
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = before
