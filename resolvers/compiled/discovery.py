"""DiscoveryPage (schema/documents/DiscoveryPage.graphql) as one SQL statement.

The rows are resolvers/discovery.py's own query (``discovery_page``: the filter, the order,
relevance, the cursor, the page size; every rule in that one place); this module only wraps its
SQL in the JSON of the answer, as schema/discovery.py and schema/profiles.py render it:
``location`` null when no part of it is set (an empty string counts as unset), ``niches`` ``[]``
when missing, each edge's cursor as ``resolvers.discovery.profile_cursor`` writes it (base64url of
the compact JSON array, the RELEVANCE digest included), global ids as ``schema.node.encode_id``
writes them.

PostgreSQL only: SQLite has no base64, which every cursor needs (a global id is short and of one
shape, which json_global_id spells out; a cursor is neither), so there the answer is None and
Strawberry serves the page. None too when the variables are invalid (Strawberry answers
the error), when the token's user may no longer act (deleted or suspended: Strawberry counts such a
request against the client's address, not the user), and when a cursor's sort value is a float
PostgreSQL writes differently from Python (below 1e-4, or -0.0: never an engagement, which has
two decimals, and rarely a growth).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import orjson

from resolvers.compiled import (
    Dialect,
    dialect,
    fetch_row,
    json_datetime,
    json_float,
    json_global_id,
    json_int,
    json_object,
    json_string,
    json_string_array,
    sql_literal,
)
from resolvers.compiled.discovery_request import discovery_arguments
from resolvers.discovery import (
    DiscoveryPageQuery,
    OrderDirection,
    ProfileOrderField,
    discovery_page,
    search_digest,
)
from resolvers.errors import OperationError

# Statements of a few kilobytes each; most pages after the first miss, the first pages hit.
STATEMENTS_CACHED = 256
_FLOAT_FIELDS = frozenset({ProfileOrderField.AVG_ENGAGEMENT, ProfileOrderField.GROWTH_30D})


async def discovery_page_json(
    viewer_id: int | None, is_admin: bool, variables: Mapping[str, object]
) -> bytes | None:
    """The JSON of DiscoveryPage's ``data`` for these variables, or None to leave the request
    to Strawberry. Discovery shows the same public profiles to everyone (admins included), so
    the viewer only decides whether the request may be answered here at all."""
    if dialect() is not Dialect.POSTGRES:
        return None
    try:
        canonical = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer past 64 bits: Strawberry refuses it
        return None
    compiled = compiled_statement(canonical)
    if compiled is None:
        return None
    statement, params = compiled
    row = await fetch_row(statement, [*params, viewer_id])
    assert row is not None  # an aggregate without GROUP BY always answers one row
    data, inexact, viewer_ok = row
    if inexact or (viewer_id is not None and viewer_ok is not True):
        return None
    assert isinstance(data, str)
    return data.encode()


@functools.lru_cache(maxsize=STATEMENTS_CACHED)
def compiled_statement(variables_json: bytes) -> tuple[str, tuple[object, ...]] | None:
    """The statement and its parameters (the viewer's id goes last) for these variables, or None
    when they are refused. Kept per canonical variables: the same variables always make the same
    statement, and the hot pages (the first page of a filter) skip Tortoise's query building."""
    variables = orjson.loads(variables_json)
    arguments = discovery_arguments(variables) if isinstance(variables, dict) else None
    if arguments is None:
        return None
    try:
        page = discovery_page(arguments.filter, arguments.order, arguments.first, arguments.after)
    except OperationError:
        return None
    rows_sql, params = page.sql()
    return _statement(page, rows_sql, f"${len(params) + 1}"), tuple(params)


def _statement(page: DiscoveryPageQuery, rows_sql: str, viewer_param: str) -> str:
    """The page's rows (one more than the page: it says whether a next page exists) numbered in
    their order, then aggregated into the answer."""
    direction = "DESC" if page.order.direction is OrderDirection.DESC else "ASC"
    size = page.size
    edge = json_object([("cursor", "e.cursor_json"), ("node", _node("e"))])
    edges = (
        f"coalesce(string_agg({edge}, ',' ORDER BY e.position)"
        f" FILTER (WHERE e.position <= {size}), '')"
    )
    end_cursor = (
        "coalesce((array_agg(e.cursor_json ORDER BY e.position DESC)"
        f" FILTER (WHERE e.position <= {size}))[1], 'null')"
    )
    data = (
        """'{"profiles":{"edges":[' || """
        + edges
        + """ || '],"pageInfo":{"hasNextPage":' || """
        + f"CASE WHEN count(e.id) > {size} THEN 'true' ELSE 'false' END"
        + """ || ',"endCursor":' || """
        + end_cursor
        + " || '}}}'"
    )
    viewer_ok = (
        "(SELECT u.deleted_at IS NULL AND NOT u.suspended FROM users u"  # noqa: S608 - fixed names
        f" WHERE u.id = {viewer_param})"
    )
    value = f'page."{page.column}"'
    return (
        f"SELECT {data}, coalesce(bool_or(e.inexact), false), {viewer_ok} FROM ("  # noqa: S608 - the rows' SQL is Tortoise's, with its parameters
        f"SELECT page.*, {_cursor_json(page, value)} AS cursor_json, "
        f"{_inexact(page, value)} AS inexact, "
        f"row_number() OVER (ORDER BY {value} {direction}, page.id {direction}) AS position "
        f"FROM ({rows_sql}) AS page) AS e"
    )


def _node(e: str) -> str:
    """DiscoveryPage's node selection of one row."""
    d = Dialect.POSTGRES
    unset = " AND ".join(f"coalesce({e}.{part}, '') = ''" for part in ("city", "state", "country"))
    place = json_object([(part, json_string(d, f"{e}.{part}")) for part in ("city", "country")])
    stats = json_object(
        [
            ("totalFollowers", json_int(d, f"{e}.total_followers")),
            ("avgEngagement", json_float(d, f"{e}.avg_engagement")),
        ]
    )
    return json_object(
        [
            ("id", json_global_id(d, "Profile", f"{e}.id")),
            ("displayName", json_string(d, f"{e}.display_name")),
            ("avatarUrl", json_string(d, f"{e}.avatar_url")),
            ("niches", json_string_array(d, f"{e}.niches")),
            ("location", f"CASE WHEN {unset} THEN 'null' ELSE {place} END"),
            ("rizzScore", json_int(d, f"{e}.rizz_score")),
            ("stats", stats),
        ]
    )


def _cursor_json(page: DiscoveryPageQuery, value: str) -> str:
    """``profile_cursor`` in SQL: the compact JSON array ``[field, direction, value, id]`` (and
    the search's digest for RELEVANCE), base64url without padding, as a JSON string."""
    d = Dialect.POSTGRES
    field = page.order.field
    if field is ProfileOrderField.UPDATED_AT:
        value_json = json_datetime(d, value)
    elif field in _FLOAT_FIELDS:
        value_json = json_float(d, value)
    else:
        value_json = json_int(d, value)
    # pack_cursor's JSON is orjson's, compact: `["RIZZ_SCORE","DESC",` value `,` id `]`.
    head = orjson.dumps([field.value, page.order.direction.value]).decode()[:-1] + ","
    tail = "]"
    if field is ProfileOrderField.RELEVANCE:
        tail = "," + orjson.dumps(search_digest(page.search or "")).decode() + "]"
    text = f"{sql_literal(head)} || {value_json} || ',' || page.id || {sql_literal(tail)}"
    return _base64_json(text)


def _inexact(page: DiscoveryPageQuery, value: str) -> str:
    """True for a float sort value PostgreSQL writes differently from Python's JSON."""
    if page.order.field not in _FLOAT_FIELDS:
        return "false"
    return f"(({value}) <> 0 AND abs({value}) < 1e-4) OR CAST({value} AS TEXT) = '-0'"


def _base64_json(text_sql: str) -> str:
    """A JSON string of unpadded base64url of the UTF-8 of ``text_sql`` (PostgreSQL's base64
    breaks lines every 76 characters and uses + and /)."""
    base64 = f"replace(encode(convert_to({text_sql}, 'UTF8'), 'base64'), chr(10), '')"
    encoded = f"rtrim(translate({base64}, '+/', '-_'), '=')"
    return f"""'"' || {encoded} || '"'"""
