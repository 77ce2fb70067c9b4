"""A B-tree for the case search's control-code prefix (PostgreSQL only).

`istartswith` becomes UPPER(control_code) LIKE UPPER('1C9%'). The trigram index of 0002 answers it too, but as a
bitmap of every matching item, each then read from the table: a prefix that half the goods lines share ("1C9") was
tens of thousands of row reads. On UPPER(control_code) with text_pattern_ops (under any collation but C only the
pattern operator class orders as LIKE compares) the prefix is a range of this index, and with the case id and the
code in the index PostgreSQL answers from the index alone. SQLite, the embedded default, scans instead.
"""

from django.db import migrations

NAME = "cases_item_control_code_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON cases_item "
        "((UPPER(control_code::text)) text_pattern_ops) INCLUDE (case_id, control_code)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_trigram_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
