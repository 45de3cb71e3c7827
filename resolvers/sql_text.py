"""SQL text written once per dialect for the hottest reads, run with ``execute_query``.

Tortoise builds a query's SQL with pypika on every call (about a third of a profile read's CPU,
bench/strawberry_cost.py) and turns every column of every row into a model instance. The reads
on every profile page instead keep their SQL text here, built on first use for the connection's
dialect, and convert only the columns they select, each with its model field's own converter,
so a value reads exactly as through the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import Field
from tortoise.models import Model

Converter = Callable[[Any], Any]


def placeholder(dialect: str, position: int) -> str:
    """The parameter marker for the 1-based ``position``: ``$n`` for asyncpg, ``?`` elsewhere."""
    return f"${position}" if dialect == "postgres" else "?"


@lru_cache(maxsize=256)
def placeholders(dialect: str, count: int, start: int = 1) -> str:
    """``count`` comma-separated markers, for an ``IN (…)`` list of that length."""
    return ", ".join(placeholder(dialect, start + i) for i in range(count))


@dataclass(frozen=True, slots=True)
class RowReader:
    """Reads a run of columns of a result row as the ORM would: each column through its model
    field's converter, except where the driver already gives the field's type (integers and
    text: the converter would return the value as it is) and the columns kept for later."""

    width: int
    converting: tuple[tuple[int, Converter], ...]

    def values(self, row: Any, start: int = 0) -> list[Any]:
        """The columns ``start`` to ``start + width`` of ``row``, a driver's row (sqlite3.Row,
        asyncpg's Record: indexed by position, though Tortoise types them as dicts)."""
        values = list(row[start : start + self.width])
        for index, convert in self.converting:
            values[index] = convert(values[index])
        return values


def reader(model: type[Model], columns: Sequence[str], later: Collection[str] = ()) -> RowReader:
    """The reader of ``columns`` of ``model``; the columns in ``later`` are kept as the database
    gave them, for ``convert_later`` when (and if) a reader asks for them: parsing a datetime or
    a JSON document nobody reads is wasted CPU."""
    fields = model._meta.fields_map
    converting = []
    for index, name in enumerate(columns):
        field = fields[name]
        as_given = type(field).to_python_value is Field.to_python_value and field.field_type in (
            int,
            str,
        )
        if name not in later and not as_given:
            converting.append((index, field.to_python_value))
    return RowReader(len(columns), tuple(converting))


def convert_later(model: type[Model], column: str, value: Any) -> Any:
    """A column kept as given (see ``converters``), converted as the ORM would have."""
    return model._meta.fields_map[column].to_python_value(value)


def connection(model: type[Model]) -> tuple[BaseDBAsyncClient, str]:
    """The model's connection (the current transaction's, inside one) and its dialect."""
    db = model._meta.db
    return db, db.capabilities.dialect
