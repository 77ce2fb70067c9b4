"""Indexes for the permit register: its order, newest first, and trigram indexes for its search (PostgreSQL only).

The register's search looks for a term inside the permit's number, its end user's name and its lines' control
codes (and the case's reference, which search/migrations/0002 indexes). `icontains` becomes UPPER(column) LIKE
UPPER('%term%'), which only a trigram index on the same expression can answer; SQLite, the embedded default,
scans instead.
"""

from django.conf import settings
from django.db import migrations, models

TRIGRAM_INDEXES = [
    ("permits_permit_number_trgm", "permits_permit", "number"),
    ("permits_permit_end_user_name_trgm", "permits_permit", "end_user_name"),
    ("permits_permititem_control_code_trgm", "permits_permititem", "control_code"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_language"),
        ("cases", "0007_case_sort_indexes"),
        ("permits", "0002_permit_superseded"),
        ("screening", "0002_screening"),
        ("search", "0002_trigram_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="permit",
            index=models.Index(fields=["-issued_at", "-id"], name="permit_issued_idx"),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
