"""Compiled reads: one SQL statement per trusted document, the response JSON built by the database.

The helpers here turn a column expression into SQL that yields its JSON text, the same on
PostgreSQL and SQLite, so a compiled document (resolvers/compiled/profile.py) is written once and
rendered per dialect. The statement's text is built once per dialect (``functools.cache`` on the
builders), never per request: asyncpg then prepares it once per connection, SQLite caches it.

Objects are built by concatenating ``'{"key":' || value || ...`` rather than with
``json_build_object`` / ``json_object``, for two measured reasons:
- PostgreSQL's ``json_build_object`` writes ``{"k" : v, "k2" : v2}`` (spaces), and
  ``jsonb_build_object(...)::text`` reorders the keys (shortest first) and is spaced too; the
  concatenation is compact and keeps the document's field order, byte for byte what Strawberry's
  orjson writes apart from the floats below.
- SQLite's JSON functions print a REAL with 15 significant digits (``0.1 + 0.2`` → ``0.3``), which
  does not round-trip; ``json_float`` prints the shortest of 15, 16 or 17 digits that does.
Strings go through the database's own JSON quoting (``to_json`` / ``json_quote``); arrays through
``json_agg`` / ``json(...)``. The result leaves the database as text and is handed on as bytes,
never decoded and encoded again in Python.

Floats: PostgreSQL (12+, ``extra_float_digits`` ≥ 1, the default) prints the shortest
round-tripping digits, as Python does; an integral value gets ``.0`` appended as Python writes it.
SQLite's ``%!.Ng`` writes exponents as ``1.0e-05`` where Python writes ``1e-05``: the same number.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import orjson
from tortoise import connections


class Dialect(enum.Enum):
    POSTGRES = "postgres"
    SQLITE = "sqlite"


def dialect() -> Dialect:
    """The default connection's dialect (the only two creatorgraph runs on)."""
    name = connections.get("default").capabilities.dialect
    return Dialect.POSTGRES if name == "postgres" else Dialect.SQLITE


def param(d: Dialect, n: int) -> str:
    """The ``n``-th (1-based) bind parameter."""
    return f"${n}" if d is Dialect.POSTGRES else f"?{n}"


def json_object(fields: Sequence[tuple[str, str]]) -> str:
    """A JSON object from ``(key, JSON-text expression)`` pairs, in order. Every expression must
    yield JSON text, never SQL NULL (the helpers below map NULL to ``null``)."""
    parts: list[str] = []
    for i, (key, expr) in enumerate(fields):
        prefix = ("{" if i == 0 else ",") + orjson.dumps(key).decode() + ":"
        parts.append(sql_literal(prefix))
        parts.append(f"({expr})")
    parts.append("'}'" if fields else "'{}'")
    return " || ".join(parts)


def sql_literal(text: str) -> str:
    """A constant string in SQL (our own keys; quotes doubled all the same)."""
    return "'" + text.replace("'", "''") + "'"


def json_string(d: Dialect, expr: str) -> str:
    """A text column (or NULL) as a JSON string (or ``null``)."""
    if d is Dialect.POSTGRES:
        return f"coalesce(to_json(({expr})::text)::text, 'null')"
    return f"json_quote({expr})"


def json_int(d: Dialect, expr: str) -> str:
    """An integer column (or NULL) as a JSON number (or ``null``)."""
    return f"coalesce(CAST(({expr}) AS TEXT), 'null')"


def json_bool(expr: str) -> str:
    """A boolean column (SQLite: 0/1) as ``true`` / ``false`` (``null`` for NULL)."""
    return f"CASE WHEN ({expr}) IS NULL THEN 'null' WHEN ({expr}) THEN 'true' ELSE 'false' END"


def json_float(d: Dialect, expr: str) -> str:
    """A float column (or NULL) as Python's JSON writes it, or a number that parses the same."""
    if d is Dialect.POSTGRES:
        return (
            f"CASE WHEN ({expr}) IS NULL THEN 'null' "
            f"WHEN ({expr}) = trunc({expr}) AND abs({expr}) < 1e16 "
            f"THEN CAST(CAST(({expr}) AS BIGINT) AS TEXT) || '.0' "
            f"ELSE CAST(CAST(({expr}) AS DOUBLE PRECISION) AS TEXT) END"
        )
    shortest = " ".join(
        f"WHEN CAST(printf('%!.{digits}g', {expr}) AS REAL) = ({expr}) "
        f"THEN printf('%!.{digits}g', {expr})"
        for digits in (15, 16)
    )
    return f"CASE WHEN ({expr}) IS NULL THEN 'null' {shortest} ELSE printf('%!.17g', {expr}) END"


def json_string_array(d: Dialect, expr: str) -> str:
    """A JSON column holding a list of strings (or NULL) as a compact JSON array (``[]`` for
    NULL): Strawberry renders a missing list as an empty one."""
    if d is Dialect.POSTGRES:
        return (
            "coalesce((SELECT '[' || string_agg(to_json(e.value)::text, ',' ORDER BY e.n) "  # noqa: S608 - our own column names only
            "|| ']' "
            f"FROM jsonb_array_elements_text(({expr})::jsonb) WITH ORDINALITY AS e(value, n)), "
            "'[]')"
        )
    return f"coalesce(json({expr}), '[]')"


def json_datetime(d: Dialect, expr: str) -> str:
    """A timestamp column (UTC) as Python's ``isoformat()`` writes it, as Strawberry's DateTime
    does: ``2026-12-02T00:24:00.123456+00:00``, the fraction left out when it is zero."""
    if d is Dialect.POSTGRES:
        utc = f"(({expr}) AT TIME ZONE 'UTC')"
        return (
            f"CASE WHEN ({expr}) IS NULL THEN 'null' ELSE '\"' || "
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN to_char({utc}, 'US') = '000000' THEN '' "
            f"ELSE '.' || to_char({utc}, 'US') END"
            " || '+00:00\"' END"
        )
    # Tortoise stores SQLite timestamps as Python's isoformat text with a space or a "T".
    return (
        f"CASE WHEN ({expr}) IS NULL THEN 'null' ELSE json_quote("
        f"strftime('%Y-%m-%dT%H:%M:%S', {expr}) || "
        f"CASE WHEN CAST(strftime('%f', {expr}) AS REAL) = CAST(strftime('%S', {expr}) AS REAL) "
        f"THEN '' ELSE '.' || substr(rtrim(substr({expr}, 20, 7)) || '000000', 2, 6) END"
        " || '+00:00') END"
    )


async def fetch_row(sql: str, values: Sequence[object]) -> Sequence[object] | None:
    """The first row of ``sql`` through Tortoise's default connection (its pool, outside any
    transaction), or None when there is none. Columns come back as the driver gives them: JSON
    text stays text."""
    _, rows = await connections.get("default").execute_query(sql, list(values))
    if not rows:
        return None
    row = rows[0]
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
