"""Yearly numbering (case references, permit numbers) without gaps between concurrent writers."""

from django.db import connection, models


def next_in_year(counter: type[models.Model], year: int) -> int:
    """The next number of `year` in a counter table with columns (year primary key, last).

    One statement both creates the year's row and increments it, so two writers at the same moment get different
    numbers on PostgreSQL and SQLite alike."""
    table = connection.ops.quote_name(counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        (number,) = cursor.fetchone()
    return number
