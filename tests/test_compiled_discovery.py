"""DiscoveryPage compiled (resolvers/compiled/discovery.py) answers exactly what Strawberry answers.

As tests/test_compiled_reads.py does for ProfileById: each request goes to the session server
(COMPILED_READS on) and to a second server on the same database with the compiled path off, and
the answers must be the same JSON, page after page, for every filter and every order. On SQLite
the compiled statement answers None (no base64 there), so every request falls back; on
PostgreSQL the metric proves the pages were compiled.

The data set is profiles no other test can match: each carries this module's niche token.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models import Platform, Profile, User
from resolvers.compiled.discovery import discovery_page_json
from resolvers.compiled.discovery_request import discovery_arguments
from resolvers.cursors import unpack_cursor
from tests.conftest import GraphQLClient, RunningServer, uses_postgres
from tests.test_compiled_reads import (
    Pair,
    creator,
    pk_of,
    served_count,
    strawberry_url,  # noqa: F401 - a fixture this module uses
    with_platforms,
)
from web.compiled_plans import PLANS, trusted_id
from web.trusted_documents import DOCUMENTS_DIR

DISCOVERY_PAGE = (DOCUMENTS_DIR / "DiscoveryPage.graphql").read_text()
ORDERS = ("RIZZ_SCORE", "TOTAL_FOLLOWERS", "AVG_ENGAGEMENT", "UPDATED_AT", "GROWTH_30D")
BASE = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DataSet:
    scope: str  # every listed profile has this niche
    hidden: set[str]  # profile ids that must never be listed


@pytest.fixture(scope="module")
async def pair_module(server: RunningServer, strawberry_url: str) -> AsyncIterator[Pair]:  # noqa: F811
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=60) as compiled,
        httpx.AsyncClient(base_url=strawberry_url, timeout=60) as strawberry,
    ):
        yield Pair(compiled, strawberry, server.app.state.response_cache)


@pytest.fixture(scope="module")
async def data(server: RunningServer) -> DataSet:
    """Profiles with nulls, empty strings, unicode, ties on every order column, missing
    platforms, growth unknown, and private, inactive and suspended-owner ones."""
    scope = f"cd{uuid.uuid4().hex[:10]}"
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        gql = GraphQLClient(http)
        rows: list[dict[str, Any]] = [
            dict(
                display_name="Zoë Ñandú 🚀",
                bio='Line "one"\nünïcödé </script>',
                city="São Paulo",
                state="",
                country="BR",
                rizz=80,
                followers=1_000_000,
                engagement=0.1 + 0.2,
                growth=12.5,
                extra="a",
                avatar_url="https://cdn.example.com/z.png?a=1&b=2",
            ),
            dict(
                display_name="John Carter",
                bio=None,
                city=None,
                state=None,
                country=None,
                rizz=80,
                followers=1_000_000,
                engagement=4.0,
                growth=12.5,
                extra="b",
            ),
            dict(
                display_name="Jon Cartwright",
                bio="Travel and food, every day",
                city="",
                state="",
                country="",
                rizz=55,
                followers=9_007_199_254_740_991,
                engagement=4.0,
                growth=None,
                extra="a",
            ),
            dict(
                display_name="李小龍 Fan",
                bio="功夫",
                city="Hong Kong",
                state=None,
                country="China",
                rizz=55,
                followers=0,
                engagement=0.0,
                growth=-100.0,
                extra="c",
                role="BRAND",
            ),
            dict(
                display_name="Maria Lopez",
                bio="travel food blogger",
                city="Lagos",
                state="Lagos",
                country="Nigeria",
                rizz=30,
                followers=42,
                engagement=99.99,
                growth=0.0,
                extra="b",
            ),
            dict(
                display_name="Travel Food Co",
                bio="We sell food for travel",
                city="lagos",
                state=None,
                country="NIGERIA",
                rizz=100,
                followers=42,
                engagement=1 / 3,
                growth=1e-05,
                extra="c",
                role="BRAND",
            ),
            dict(
                display_name="Percent 100%_\\ Deals",
                bio="100% real",
                city="Paris",
                state=None,
                country="France",
                rizz=0,
                followers=7,
                engagement=12.34,
                growth=3.0,
                extra="a",
            ),
            dict(
                display_name="Olivia Rossi",
                bio=None,
                city="Rome",
                state="Lazio",
                country="Italy",
                rizz=81,
                followers=86_778,
                engagement=9.81,
                growth=123456789.12345679,
                extra="b",
            ),
        ]
        hidden: set[str] = set()
        for i, row in enumerate(rows):
            account = await creator(
                gql,
                display_name=row["display_name"],
                bio=row["bio"],
                avatar_url=row.get("avatar_url"),
                niches=[scope, f"{scope}{row['extra']}", "Café culture"],
                niche_tags=f"|{scope}|{scope}{row['extra']}|café culture|",
                city=row["city"],
                state=row["state"],
                country=row["country"],
                role=row.get("role", "CREATOR"),
                rizz_score=row["rizz"],
                total_followers=row["followers"],
                avg_engagement=row["engagement"],
                growth_30d=row["growth"],
                # Ties on updated_at too, and a moment without microseconds.
                updated_at=BASE + timedelta(seconds=i // 2, microseconds=(i % 3) * 250_001),
            )
            if i % 3 == 0:
                await with_platforms(account, {Platform.TWITCH: (10 + i, None)})
            if i % 2 == 0:
                await with_platforms(account, {Platform.TIKTOK: (100 * i, 2.5)})
        niches = [scope, f"{scope}a"]
        for hide in ("is_public", "is_active", "suspended"):
            account = await creator(
                gql,
                display_name=f"Hidden {hide} John",
                niches=niches,
                niche_tags=f"|{scope}|{scope}a|",
                rizz_score=90,
                growth_30d=1.0,
            )
            if hide == "suspended":
                await User.filter(id=pk_of(account.user_id)).update(suspended=True)
            else:
                await Profile.filter(id=pk_of(account.profile_id)).update(**{hide: False})
            hidden.add(account.profile_id)
    return DataSet(scope, hidden)


@dataclass
class Walk:
    edges: list[dict[str, Any]]
    pages: int = 0
    exotic_pages: int = 0  # pages with a cursor float PostgreSQL writes unlike Python


async def walk(pair: Pair, variables: dict[str, Any], first: int) -> Walk:
    """Every edge, page by page, each page the same on both paths."""
    done = Walk([])
    after = None
    for _ in range(50):
        page_variables = {**variables, "first": first, "after": after}
        answer = await pair.same({"query": DISCOVERY_PAGE, "variables": page_variables})
        connection = answer["data"]["profiles"]
        done.edges += connection["edges"]
        done.pages += 1
        values = [(unpack_cursor(e["cursor"]) or [None] * 3)[2] for e in connection["edges"]]
        if any(isinstance(v, float) and 0 < abs(v) < 1e-4 for v in values):
            done.exotic_pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return done
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("the pages did not end")


def filters(scope: str) -> dict[str, dict[str, Any]]:
    mine = [scope]
    return {
        "scope only": {"niches": mine},
        "search words": {"search": "travel food", "niches": mine},
        "search misspelt": {"search": "Jonh", "niches": mine},
        "search misspelt two words": {"search": "Olivai Rossi", "niches": mine},
        "search wildcards": {"search": "100%_\\", "niches": mine},
        "search unicode": {"search": "Ñandú", "niches": mine},
        "search emoji": {"search": "🚀", "niches": mine},
        "search stop words": {"search": "the and of", "niches": mine},
        "any of two niches": {"niches": [f"{scope}a", f"{scope}c"]},
        "platforms": {"platforms": ["TWITCH", "YOUTUBE"], "niches": mine},
        "role": {"role": "BRAND", "niches": mine},
        "followers range": {"minFollowers": 42, "maxFollowers": 1_000_000, "niches": mine},
        "min engagement": {"minEngagement": 4, "niches": mine},
        "country": {"country": "nigeria", "niches": mine},
        "city": {"city": "LAGOS", "niches": mine},
        "min growth": {"minGrowth30d": 0.0, "niches": mine},
        "everything null": {"search": None, "niches": mine, "role": None, "city": None},
    }


async def test_every_order_pages_the_same_as_strawberry(pair_module: Pair, data: DataSet):
    before = await served_count(pair_module.compiled, "DiscoveryPage", "served")
    pages = exotic = 0
    for field in ORDERS:
        for direction in ("ASC", "DESC"):
            order = {"field": field, "direction": direction}
            done = await walk(
                pair_module, {"filter": {"niches": [data.scope]}, "orderBy": order}, 3
            )
            pages, exotic = pages + done.pages, exotic + done.exotic_pages
            ids = [e["node"]["id"] for e in done.edges]
            assert len(ids) == len(set(ids)) and not set(ids) & data.hidden
            assert len(ids) == (7 if field == "GROWTH_30D" else 8), (field, ids)
    served = await served_count(pair_module.compiled, "DiscoveryPage", "served") - before
    # A growth of 1e-05 in a cursor (PostgreSQL writes 1e-05, Python 0.00001) is left to
    # Strawberry; every other page is compiled on PostgreSQL, none on SQLite.
    assert exotic > 0
    assert served == (pages - exotic if uses_postgres() else 0)


async def test_every_filter_pages_the_same_as_strawberry(pair_module: Pair, data: DataSet):
    before = await served_count(pair_module.compiled, "DiscoveryPage", "served")
    pages = 0
    found: dict[str, set[str]] = {}
    for name, filter in filters(data.scope).items():
        orders: list[dict[str, str] | None] = [None, {"field": "RIZZ_SCORE", "direction": "ASC"}]
        if filter.get("search"):
            orders.append({"field": "RELEVANCE", "direction": "ASC"})
        for order in orders:
            done = await walk(pair_module, {"filter": filter, "orderBy": order}, first=2)
            pages += done.pages
            ids = [e["node"]["id"] for e in done.edges]
            assert len(ids) == len(set(ids)) and not set(ids) & data.hidden, name
            found[name] = {e["node"]["displayName"] for e in done.edges}
    served = await served_count(pair_module.compiled, "DiscoveryPage", "served") - before
    assert served == (pages if uses_postgres() else 0)
    # Not vacuous: the filters find what they should.
    assert {"John Carter", "Jon Cartwright"} <= found["search misspelt"]
    assert "Olivia Rossi" in found["search misspelt two words"]
    assert found["search wildcards"] == {"Percent 100%_\\ Deals"}
    assert found["country"] == found["city"] == {"Maria Lopez", "Travel Food Co"}
    assert found["role"] == {"李小龍 Fan", "Travel Food Co"}
    assert len(found["any of two niches"]) == 5


async def test_the_first_page_and_default_sizes_are_the_same(pair_module: Pair, data: DataSet):
    scoped = {"niches": [data.scope]}
    for first in (None, 1, 8, 9, 100):
        body = {"query": DISCOVERY_PAGE, "variables": {"filter": scoped, "first": first}}
        await pair_module.same(body)
    # No filter at all: the whole database's first page, whatever other tests left there.
    await pair_module.same({"query": DISCOVERY_PAGE, "variables": {"first": 5}})
    await pair_module.same({"query": DISCOVERY_PAGE})
    empty = {"filter": {"niches": [f"{data.scope}-nobody"]}}
    answer = await pair_module.same({"query": DISCOVERY_PAGE, "variables": empty})
    assert answer["data"]["profiles"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_refused_variables_get_strawberrys_errors(pair_module: Pair, data: DataSet):
    scoped = {"niches": [data.scope]}
    page = await pair_module.same(
        {"query": DISCOVERY_PAGE, "variables": {"filter": {**scoped, "search": "John"}, "first": 1}}
    )
    relevance_cursor = page["data"]["profiles"]["pageInfo"]["endCursor"]
    before = await served_count(pair_module.compiled, "DiscoveryPage", "served")
    refused: list[dict[str, Any]] = [
        {"filter": scoped, "first": 0},
        {"filter": scoped, "first": 101},
        {"filter": scoped, "first": -1},
        {"filter": scoped, "first": "3"},
        {"filter": scoped, "first": 2**40},
        {"filter": scoped, "after": "not a cursor"},
        {"filter": scoped, "after": 12},
        {"filter": {**scoped, "search": "Jon"}, "after": relevance_cursor},
        {"filter": scoped, "orderBy": {"field": "RIZZ_SCORE"}, "after": relevance_cursor},
        {"filter": {**scoped, "colour": "red"}},
        {"filter": {**scoped, "role": "KING"}},
        {"filter": {**scoped, "search": "x" * 200}},
        {"filter": {**scoped, "search": "nul\x00byte"}},
        {"filter": {**scoped, "minFollowers": -1}},
        {"filter": {**scoped, "minFollowers": 2**60}},
        {"filter": {**scoped, "minFollowers": 10, "maxFollowers": 5}},
        {"filter": {**scoped, "minEngagement": "high"}},
        {"filter": {**scoped, "platforms": [None]}},
        {"filter": scoped, "orderBy": {"field": None}},
        {"filter": scoped, "orderBy": {"field": "RELEVANCE"}},
        {"filter": scoped, "orderBy": {"field": "RIZZ_SCORE", "direction": "UP"}},
        {"filter": "everything"},
    ]
    for variables in refused:
        answer = await pair_module.same({"query": DISCOVERY_PAGE, "variables": variables})
        assert answer.get("errors"), variables
    # What GraphQL coerces (one string for a list) or ignores (a variable the document does
    # not declare) is Strawberry's to answer too. (`first: 2.0` and `first: true` are left out:
    # schema/query_limits.py's cost cache takes them for 2 and 1 on one server and not on the
    # other, so the two servers' extensions.cost differ whichever path answers.)
    for variables, size in (
        ({"filter": {"niches": data.scope}}, 8),
        ({"filter": scoped, "extra": 1}, 8),
    ):
        answer = await pair_module.same({"query": DISCOVERY_PAGE, "variables": variables})
        assert len(answer["data"]["profiles"]["edges"]) == size
    assert await served_count(pair_module.compiled, "DiscoveryPage", "served") == before


async def test_a_token_does_not_change_the_page(
    pair_module: Pair, data: DataSet, server: RunningServer
):
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        viewer = await creator(GraphQLClient(http))
        suspended = await creator(GraphQLClient(http))
    await User.filter(id=pk_of(suspended.user_id)).update(suspended=True)
    body = {"query": DISCOVERY_PAGE, "variables": {"filter": {"niches": [data.scope]}}}
    for authorization in (
        f"Bearer {viewer.access_token}",
        f"Bearer {suspended.access_token}",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
    ):
        await pair_module.same(body, authorization)


async def test_by_document_id_over_get_and_post(pair_module: Pair, data: DataSet):
    document = trusted_id("DiscoveryPage")
    assert document in PLANS
    body = {"documentId": document, "variables": {"filter": {"niches": [data.scope]}, "first": 3}}
    before = await served_count(pair_module.compiled, "DiscoveryPage", "served")
    await pair_module.same(body)
    await pair_module.same(body, method="GET")
    served = await served_count(pair_module.compiled, "DiscoveryPage", "served") - before
    assert served == (2 if uses_postgres() else 0)


async def test_the_statement_answers_none_for_what_it_cannot_answer(data: DataSet):
    scoped = {"filter": {"niches": [data.scope]}}
    answered = await discovery_page_json(None, False, scoped)
    assert (answered is not None) is uses_postgres()
    assert await discovery_page_json(None, False, {"first": 0}) is None
    assert await discovery_page_json(None, False, {"filter": {"search": "\x00"}}) is None
    assert await discovery_page_json(2**62, False, scoped) is None  # no such user


def test_variables_are_coerced_only_where_graphql_takes_them_unchanged():
    assert discovery_arguments({}) is not None
    taken = discovery_arguments(
        {"filter": {"minEngagement": 4, "platforms": ["TIKTOK"]}, "orderBy": {}, "first": 5}
    )
    assert taken is not None and taken.filter is not None
    assert taken.filter.min_engagement == 4.0 and taken.first == 5
    assert taken.order is not None and taken.order.field.value == "RIZZ_SCORE"
    for refused in (
        {"first": 5.0},
        {"first": 2**31},
        {"filter": {"minEngagement": 10**400}},
        {"filter": {"minFollowers": 2**53}},
        {"filter": {"niches": ["a", None]}},
        {"orderBy": {"direction": None}},
        {"unknown": 1},
    ):
        assert discovery_arguments(refused) is None, refused
