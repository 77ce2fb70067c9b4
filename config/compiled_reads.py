"""Reads that run on nearly every request, compiled to SQL once instead of on every call.

Django compiles a queryset to SQL each time it is evaluated. For a short read by key that compiling, with the
model machinery around it, costs several times what the database takes to answer: reading a case's five item
lines through the ORM took 0.9 ms of CPU, the same SQL run as compiled here 0.2 ms (docs/benchmarks.md, "Case
intake"). A `CompiledRead` is written as an ordinary `values_list` queryset, built once with placeholder values and
compiled once per database alias; each call then runs that SQL with its own values and passes the rows through
the converters Django itself would apply, so a row reads the same as `values_list` would have returned it.

Only plain equality parameters can be placeholders (`filter(case_id=...)`, `filter(key=...)`): each placeholder
value must appear among the compiled parameters exactly once, which `_compile` checks, so a read whose SQL would
change shape with its values (an IN list, a None that becomes IS NULL) cannot be compiled by mistake.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet


def model_columns(model: type[Model], prefix: str = "") -> list[str]:
    """The lookups that read every concrete column of `model`, in the order `Model.from_db` takes them;
    `prefix` ("user__") reads them through a relation."""
    return [prefix + field.attname for field in model._meta.concrete_fields]


def instance_from(
    model: type[Model], row: Sequence[Any], start: int = 0, using: str = DEFAULT_DB_ALIAS
) -> Model | None:
    """The instance whose columns (as `model_columns` lists them) begin at `row[start]`; None when its primary
    key is null, as a LEFT JOIN to no row reads."""
    width = len(model._meta.concrete_fields)
    values = row[start : start + width]
    pk_index = next(i for i, f in enumerate(model._meta.concrete_fields) if f.primary_key)
    if values[pk_index] is None:
        return None
    return model.from_db(using, [f.attname for f in model._meta.concrete_fields], values)


def _same(sample: Any, param: Any) -> bool:
    return type(sample) is type(param) and sample == param


def _adapter(sample: Any, ops: Any) -> Callable[[Any], Any] | None:
    # How the backend adapts a lookup's value of this type (DateField.get_db_prep_value and its kin).
    if isinstance(sample, datetime.datetime):
        return ops.adapt_datetimefield_value
    if isinstance(sample, datetime.date):
        return ops.adapt_datefield_value
    return None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For each SQL parameter: the placeholder it stands for with the backend's adapter of its value (None when sent
    # as it is), or None with the value to send as it is.
    slots: tuple[tuple[str | None, Any], ...]
    compiler: Any
    converters: dict


class CompiledRead:
    """`build(**placeholders)` returns a `values_list` queryset; `rows(**values)` runs its SQL with `values` in
    the placeholders' places. Placeholders must be values no real call uses (a negative id, say)."""

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any):
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple]:
        compiled = self._compiled.get(using) or self._compile(using)
        params = [
            value if name is None else values[name] if value is None else value(values[name])
            for name, value in compiled.slots
        ]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)]
        return rows

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(**self._placeholders)
        if queryset._fields is None and not queryset.query.values_select:
            raise TypeError("A CompiledRead is built from a values_list() queryset, whose columns have a known order.")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        connection = connections[using]
        # A placeholder reaches the parameters as it is, or as the backend adapts a value of its type (SQLite
        # sends dates as text): each call's value is adapted the same way.
        adapters = {name: _adapter(sample, connection.ops) for name, sample in self._placeholders.items()}
        slots = []
        for param in params:
            names = [
                name
                for name, sample in self._placeholders.items()
                if _same(sample, param) or (adapters[name] is not None and _same(adapters[name](sample), param))
            ]
            if names:
                name = names[0]
                slots.append((name, None if _same(self._placeholders[name], param) else adapters[name]))
            else:
                slots.append((None, param))
        used = [name for name, _ in slots if name is not None]
        if sorted(used) != sorted(self._placeholders):
            raise ValueError(
                f"Each placeholder must appear exactly once among the compiled parameters; got {used} for "
                f"{sorted(self._placeholders)}."
            )
        fields = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        compiled = _Compiled(sql, tuple(slots), compiler, compiler.get_converters(fields))
        self._compiled[using] = compiled
        return compiled
