"""Inserts and updates that run on nearly every write, with their SQL built once instead of on every call.

`bulk_create` and `save` build an insert query and compile it to SQL for every call, and check options no caller
here uses; for the few short rows a case intake writes (its header, five item lines with their composition,
three parties, the audit event) that machinery cost more CPU than preparing the values and sending them
(docs/benchmarks.md, "Case intake"). `insert_rows` writes the same rows with the same values: each column's
value is what Django's insert would send (the field's `pre_save`, which also stamps `auto_now_add`, then its
`get_db_prep_save`), the key comes back from RETURNING, and the instances are left saved, as after
`bulk_create`. Like `bulk_create`, it sends no `pre_save`/`post_save` signals: use it only for models nothing
listens to.

`CompiledUpdate` is to `QuerySet.update` what `config.compiled_reads.CompiledRead` is to a read: the update is
written as a queryset and its changes, compiled once per database alias with placeholder values, and each call
runs that SQL with its own values.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import NOT_PROVIDED, AutoField, Field, Model, QuerySet
from django.db.models.sql import UpdateQuery
from django_countries.fields import CountryField

from .countries import stored_country_code

# psycopg converts a statement's %s placeholders once and keeps the result only for statements of at most 50
# parameters and 4096 characters (psycopg._queries.MAX_CACHED_STATEMENT_PARAMS and _LENGTH); a longer one is parsed
# again on every call. Up to that size a multi-row VALUES costs less than UNNEST, whose arrays psycopg dumps
# element by element (measured for intake's rows: 3 parties 0.21 ms vs 0.32, 10 item elements 0.27 vs 0.33, 3
# audit events 0.23 vs 0.40); past it VALUES costs more with every row. Each row count is a statement of its own,
# prepared by the connection on its second run and held by the server (about 10-40 KiB each, measured with
# pg_backend_memory_contexts): the limit also bounds those to a few per model, 50 parameters / its columns.
VALUES_MAX_PARAMS = 50
VALUES_MAX_LENGTH = 4096


@dataclass
class _Plan:
    fields: tuple[Field, ...]
    readers: tuple[Callable[[Model], Any], ...]
    returning: tuple[str, ...]
    head: str
    tail: str
    row: str
    # PostgreSQL: one array per column, as Django's own bulk insert sends them (see _plan); None elsewhere.
    unnest: str | None
    # By row count: the statement, and whether it takes one array per column (UNNEST) or the rows' values.
    statements: dict[int, tuple[str, bool]] = field(default_factory=dict)

    def sql(self, count: int) -> tuple[str, bool]:
        statement = self.statements.get(count)
        if statement is None:
            values = f"{self.head} VALUES {', '.join([self.row] * count)}{self.tail}"
            if (
                self.unnest is not None
                and count > 1
                and (count * len(self.fields) > VALUES_MAX_PARAMS or len(values) > VALUES_MAX_LENGTH)
            ):
                statement = (self.unnest, True)
            else:
                statement = (values, False)
            self.statements[count] = statement
        return statement


def _reader(field: Field, connection) -> Callable[[Model], Any]:
    """What Django's insert sends for `field` of an instance: `field.get_db_prep_save(field.pre_save(obj, True))`.
    For a country field holding a code its country list holds as it is (every code a service sets or reads back),
    that is the code itself: the field's own way there builds a Country object and looks the code up twice, which
    was most of what preparing an item line cost. Any other value, and every other field, goes through the field."""

    def prepared(obj: Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    if type(field) is not CountryField or field.multiple:
        return prepared

    def country(obj: Model) -> Any:
        code = stored_country_code(obj, field)
        return prepared(obj) if code is None else code

    return country


_plans: dict[tuple[type[Model], str], _Plan] = {}


def _plan(model: type[Model], using: str) -> _Plan:
    connection = connections[using]
    opts = model._meta
    fields = tuple(f for f in opts.concrete_fields if not isinstance(f, AutoField) and not f.generated)
    returning = tuple(opts.db_returning_fields)
    # What this module does not reproduce of Django's insert: a column given by a database default or an
    # expression placeholder, a key not issued by the database, a returned column read through a converter.
    unsupported = [f.name for f in fields if f.db_default is not NOT_PROVIDED or hasattr(f, "get_placeholder")]
    if unsupported or [f.name for f in returning] != [opts.pk.name] or not isinstance(opts.pk, AutoField):
        raise TypeError(f"insert_rows cannot write {opts.label}: {unsupported or 'its key'} needs Django's insert.")
    # The backend's converters take the column as an expression, as a query selects it.
    if opts.pk.get_db_converters(connection) or connection.ops.get_db_converters(opts.pk.get_col(opts.db_table)):
        raise TypeError(f"insert_rows cannot read {opts.label}'s key back: it needs a converter.")
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)})"
    tail = f" RETURNING {', '.join(qn(f.column) for f in returning)}"
    unnest = None
    if connection.vendor == "postgresql" and all(
        (f.target_field if f.is_relation else f).get_internal_type() in connection.data_types for f in fields
    ):
        # The same statement for any number of rows, which the connection prepares once; the type without its
        # parameters, as Django writes it, so that no value is cut to a column's length on the way.
        arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        unnest = f"{head} SELECT * FROM UNNEST({arrays}){tail}"
    plan = _Plan(
        fields,
        tuple(_reader(f, connection) for f in fields),
        tuple(f.attname for f in returning),
        head,
        tail,
        f"({', '.join(['%s'] * len(fields))})",
        unnest,
    )
    _plans[(model, using)] = plan
    return plan


def insert_rows(objs: Sequence[Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT `objs`, new instances of one model, in one statement, and set their keys. Values must be plain
    values, not expressions."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[using]
    if len(objs) > 1 and not connection.features.can_return_rows_from_bulk_insert:
        # A database that cannot return the keys of a multi-row insert gets one statement per row.
        for obj in objs:
            insert_rows([obj], using=using)
        return
    plan = _plans.get((model, using)) or _plan(model, using)
    for obj in objs:
        # As bulk_create and save do: refuse a related object that is not saved, and take the key of one saved
        # since it was assigned.
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
    rows = [[read(obj) for read in plan.readers] for obj in objs]
    sql, arrays = plan.sql(len(objs))
    if arrays:
        params = [list(column) for column in zip(*rows, strict=True)]
    else:
        params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    for obj, values in zip(objs, returned, strict=True):
        for attname, value in zip(plan.returning, values, strict=True):
            setattr(obj, attname, value)
        obj._state.adding = False
        obj._state.db = using


class CompiledUpdate:
    """`build(**placeholders)` returns `(queryset, changes)`, as for `queryset.update(**changes)`; `run(**values)`
    runs its SQL with `values` in the placeholders' places and returns the number of rows changed. Placeholders
    must be values no real call uses (a negative id, say), each appearing once among the compiled parameters; a
    placeholder that is a column's new value is prepared by its field on each call, as `update` prepares it."""

    def __init__(self, build: Callable[..., tuple[QuerySet, dict[str, Any]]], **placeholders: Any):
        self._build = build
        self._placeholders = placeholders
        # Per alias: the SQL, and for each parameter (placeholder name, field preparing it) or (None, constant).
        self._compiled: dict[str, tuple[str, tuple[tuple[str | None, Any], ...]]] = {}

    def run(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> int:
        sql, slots = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        params = [
            value
            if name is None
            else values[name]
            if value is None
            else value.get_db_prep_save(values[name], connection)
            for name, value in slots
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _compile(self, using: str) -> tuple[str, tuple[tuple[str | None, Any], ...]]:
        connection = connections[using]
        queryset, changes = self._build(**self._placeholders)
        # What QuerySet.update does before compiling, for an update of one table without annotations.
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(changes)
        if query.related_updates or query.annotations or queryset.query.is_sliced:
            raise TypeError("A CompiledUpdate changes columns of one table, filtered without annotations or slices.")
        query.clear_select_clause()
        sql, params = query.get_compiler(using).as_sql()
        # Each placeholder as it appears among the parameters: a new value as its field prepares it.
        samples = {name: (sample, None) for name, sample in self._placeholders.items()}
        for column, _model, value in query.values:
            for name, sample in self._placeholders.items():
                if value is sample:
                    samples[name] = (column.get_db_prep_save(sample, connection), column)
        slots = []
        for param in params:
            names = [name for name, (sample, _) in samples.items() if type(sample) is type(param) and sample == param]
            slots.append((names[0], samples[names[0]][1]) if names else (None, param))
        used = [name for name, _ in slots if name is not None]
        if sorted(used) != sorted(self._placeholders):
            raise ValueError(
                f"Each placeholder must appear exactly once among the compiled parameters; got {used} for "
                f"{sorted(self._placeholders)}."
            )
        self._compiled[using] = (sql, tuple(slots))
        return self._compiled[using]
