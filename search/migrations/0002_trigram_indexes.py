"""Trigram indexes for the case search's substring matches (PostgreSQL only).

`icontains` becomes UPPER(column) LIKE UPPER('%term%'), which no B-tree index can answer; a GIN trigram index on
the same UPPER(column) expression can, so a search of party names, item descriptions, control codes and
references stays an index scan as the tables grow. pg_trgm is a trusted extension (PostgreSQL 13+): the database's
owner may create it. SQLite, the embedded default, scans instead.
"""

from django.db import migrations

INDEXES = [
    ("cases_party_name_trgm", "cases_party", "name"),
    ("cases_item_description_trgm", "cases_item", "description"),
    ("cases_item_control_code_trgm", "cases_item", "control_code"),
    ("cases_case_reference_trgm", "cases_case", "reference"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("cases", "0005_case_search_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
