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
  does not round-trip; ``json_float`` prints 17 (``0.10000000000000001``: the same double).
Strings go through the database's own JSON quoting (``to_json`` / ``json_quote``); arrays through
``json_agg`` / ``json(...)``. The result leaves the database as text and is handed on as bytes,
never decoded and encoded again in Python.

Floats: PostgreSQL (12+, ``extra_float_digits`` ≥ 1, the default) prints the shortest
round-tripping digits, as Python does; a whole value gets ``.0`` as Python writes it. On SQLite
the bytes are longer (17 digits) but parse to the same double below 1e130; SQLite is the
development database, PostgreSQL the one that serves (and is benchmarked).
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
    # SQLite has no shortest round-trip printing, and its own text-to-real parsing is too loose
    # to test a shorter candidate with: 17 digits (exact below 1e130, as measured) unless the
    # value is whole.
    return (
        f"CASE WHEN ({expr}) IS NULL THEN 'null' "
        f"WHEN ({expr}) = CAST(({expr}) AS INTEGER) AND abs({expr}) < 1e15 "
        f"THEN CAST(CAST(({expr}) AS INTEGER) AS TEXT) || '.0' "
        f"ELSE printf('%!.17g', {expr}) END"
    )


def json_string_array(d: Dialect, expr: str) -> str:
    """A JSON column holding a list of strings (or NULL) as a compact JSON array (``[]`` for
    NULL): Strawberry renders a missing list as an empty one."""
    if d is Dialect.POSTGRES:
        return (
            f"CASE WHEN jsonb_typeof(({expr})::jsonb) = 'array' THEN "  # noqa: S608 - our own column names only
            "coalesce((SELECT '[' || string_agg(to_json(e.value)::text, ',' ORDER BY e.n) "
            f"|| ']' FROM jsonb_array_elements_text(({expr})::jsonb) WITH ORDINALITY AS e(value, n)"
            "), '[]') ELSE '[]' END"
        )
    return f"CASE WHEN json_type({expr}) = 'array' THEN json({expr}) ELSE '[]' END"


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
    # Tortoise stores SQLite timestamps as ``isoformat(" ")`` text; strftime reads the offset
    # (UTC in practice) and the microseconds are copied as written, absent when zero.
    return (
        f"CASE WHEN ({expr}) IS NULL THEN 'null' ELSE json_quote("
        f"strftime('%Y-%m-%dT%H:%M:%S', {expr}) || "
        f"CASE WHEN substr({expr}, 20, 1) = '.' THEN substr({expr}, 20, 7) ELSE '' END"
        " || '+00:00') END"
    )


_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_PK_DIGITS = 20  # a BIGINT's digits and sign


def json_global_id(d: Dialect, type_name: str, pk_expr: str) -> str:
    """A row's global id (schema/node.py ``encode_id``: urlsafe base64 of ``<Type>:<pk>``,
    padded) as a JSON string. SQLite has no base64 function: the expression encodes the ASCII
    text three characters at a time, for as many groups as the longest id needs."""
    if not type_name.isidentifier():
        raise ValueError(f"not a type name: {type_name!r}")
    text = f"('{type_name}:' || CAST(({pk_expr}) AS TEXT))"
    if d is Dialect.POSTGRES:
        # encode() breaks lines every 76 characters: none in an id this short, but never kept.
        base64 = f"replace(encode(convert_to({text}, 'UTF8'), 'base64'), chr(10), '')"
        encoded = f"translate({base64}, '+/', '-_')"
        return f"'\"' || {encoded} || '\"'"

    def code(position: int) -> str:
        return f"coalesce(unicode(substr({text}, {position}, 1)), 0)"

    def letter(index: str) -> str:
        return f"substr('{_BASE64}', ({index}) + 1, 1)"

    groups = []
    for first in range(1, len(type_name) + 1 + _PK_DIGITS + 1, 3):
        c0, c1, c2 = code(first), code(first + 1), code(first + 2)
        size = f"length({text})"
        first_letter = letter(f"{c0} >> 2")
        second = letter(f"(({c0} & 3) << 4) | ({c1} >> 4)")
        third = f"CASE WHEN {size} > {first} THEN {letter(f'(({c1} & 15) << 2) | ({c2} >> 6)')} "
        third += "ELSE '=' END"
        fourth = f"CASE WHEN {size} > {first + 1} THEN {letter(f'{c2} & 63')} ELSE '=' END"
        group = f"{first_letter} || {second} || {third} || {fourth}"
        groups.append(f"CASE WHEN length({text}) >= {first} THEN {group} ELSE '' END")
    return "'\"' || " + " || ".join(groups) + " || '\"'"


def json_array_agg(d: Dialect, element: str, order_by: str) -> str:
    """An aggregate: the JSON array of ``element`` (JSON text) over the grouped rows in
    ``order_by`` order, ``[]`` when there are none. SQLite before 3.44 takes no ORDER BY inside
    an aggregate: there the rows must come ordered from a subquery (``order_by`` is ignored),
    which SQLite's group_concat follows. Not ``json_agg`` / ``json_group_array``: the first
    spaces its output, the second re-renders floats with 15 digits."""
    if d is Dialect.POSTGRES:
        return f"coalesce('[' || string_agg({element}, ',' ORDER BY {order_by}) || ']', '[]')"
    return f"coalesce('[' || group_concat({element}, ',') || ']', '[]')"


async def fetch_row(sql: str, values: Sequence[object]) -> Sequence[object] | None:
    """The first row of ``sql`` through Tortoise's default connection (its pool, outside any
    transaction), or None when there is none. Columns come back as the driver gives them: JSON
    text stays text."""
    _, rows = await connections.get("default").execute_query(sql, list(values))
    if not rows:
        return None
    row = rows[0]
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
