"""Discovery: `profiles(filter, orderBy, first, after)`.

Every test scopes its results with a niche (or display-name token) that only its own profiles carry,
because the whole session shares one database. Profiles are built through the public API only:
`accountRegister`, `profileUpdate` and `socialSyncBatch`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from models import Platform
from models.ids import BIGINT_MAX, is_row_id
from resolvers.cursors import encode_cursor, pack_cursor, positive_id, unpack_cursor
from resolvers.discovery import ProfileFilter, validate_filter
from resolvers.errors import ErrorCode, OperationError
from schema.node import decode_id, encode_id
from tests.conftest import Account, GraphQLClient, QueryCounter, RunningServer, register

DISCOVER = """
query Discover($filter: ProfileFilter, $orderBy: ProfileOrder, $first: Int, $after: String) {
  profiles(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges {
      cursor
      node {
        id displayName bio niches role rizzScore updatedAt
        location { city state country }
        stats { totalFollowers avgEngagement }
      }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

DISCOVER_WITH_BREAKDOWN = """
query Discover($filter: ProfileFilter, $first: Int) {
  profiles(filter: $filter, first: $first) {
    edges {
      node {
        id displayName
        stats {
          totalFollowers avgEngagement
          platformBreakdown {
            tiktok { followers engagement }
            instagram { followers }
            youtube { followers }
            twitch { followers }
            twitter { followers }
          }
        }
      }
    }
  }
}"""

PROFILE_UPDATE = """
mutation Update($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) { profile { id isPublic } userErrors { field message code } }
}"""

SYNC_BATCH = """
mutation Sync($input: SocialSyncBatchInput!) {
  socialSyncBatch(input: $input) { count userErrors { field message code } }
}"""

ORDER_FIELDS = ("RIZZ_SCORE", "TOTAL_FOLLOWERS", "AVG_ENGAGEMENT", "UPDATED_AT")
DIRECTIONS = ("ASC", "DESC")


def new_token() -> str:
    return "t" + uuid.uuid4().hex[:10]


# ---------------------------------------------------------------------------------------------
# Building profiles through the public API
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What one test profile looks like; `platforms` maps a platform to (followers, engagement)."""

    name: str
    role: str = "CREATOR"
    bio: str | None = None
    niches: Sequence[str] = ()
    city: str | None = None
    country: str | None = None
    platforms: dict[str, tuple[int, float | None]] = field(default_factory=dict)
    public: bool = True


async def update_profile(gql: GraphQLClient, account: Account, changes: dict[str, Any]) -> None:
    data = await gql.data(PROFILE_UPDATE, {"input": changes}, token=account.access_token)
    assert data["profileUpdate"]["userErrors"] == [], data["profileUpdate"]["userErrors"]


async def sync(
    gql: GraphQLClient, account: Account, platforms: dict[str, tuple[int, float | None]]
) -> None:
    items = [
        {"platform": p, "followers": f, **({"engagement": e} if e is not None else {})}
        for p, (f, e) in platforms.items()
    ]
    data = await gql.data(SYNC_BATCH, {"input": {"items": items}}, token=account.access_token)
    payload = data["socialSyncBatch"]
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["count"] == len(items)


async def make_profile(gql: GraphQLClient, scope: str, spec: Spec) -> Account:
    account = await register(gql, role=spec.role, display_name=spec.name)
    changes: dict[str, Any] = {"niches": [scope, *spec.niches], "isPublic": spec.public}
    if spec.bio is not None:
        changes["bio"] = spec.bio
    if spec.city is not None or spec.country is not None:
        changes["location"] = {"city": spec.city, "country": spec.country}
    await update_profile(gql, account, changes)
    if spec.platforms:
        await sync(gql, account, spec.platforms)
    return account


async def make_profiles(gql: GraphQLClient, scope: str, specs: Sequence[Spec]) -> list[Account]:
    return list(await asyncio.gather(*(make_profile(gql, scope, s) for s in specs)))


def pk(global_id: str) -> int:
    decoded = decode_id(global_id, "Profile")
    assert decoded is not None, global_id
    return decoded[1]


# ---------------------------------------------------------------------------------------------
# Querying
# ---------------------------------------------------------------------------------------------


async def discover(
    gql: GraphQLClient,
    filter: dict[str, Any] | None = None,
    order: tuple[str, str] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    variables: dict[str, Any] = {"filter": filter, "first": first, "after": after}
    if order is not None:
        variables["orderBy"] = {"field": order[0], "direction": order[1]}
    return (await gql.data(DISCOVER, variables))["profiles"]


async def names(gql: GraphQLClient, filter: dict[str, Any]) -> set[str]:
    connection = await discover(gql, filter, first=100)
    assert connection["pageInfo"]["hasNextPage"] is False
    found = [e["node"]["displayName"] for e in connection["edges"]]
    assert len(found) == len(set(found)), found
    return set(found)


async def top_level_error(
    gql: GraphQLClient,
    filter: dict[str, Any] | None = None,
    order: tuple[str, str] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """The single top-level error of a discovery query that must fail as a whole."""
    variables: dict[str, Any] = {"filter": filter, "first": first, "after": after}
    if order is not None:
        variables["orderBy"] = {"field": order[0], "direction": order[1]}
    result = await gql.post(DISCOVER, variables)
    assert result.get("data") is None, result
    assert len(result["errors"]) == 1, result["errors"]
    return result["errors"][0]


async def assert_bad_user_input(gql: GraphQLClient, **arguments: Any) -> dict[str, Any]:
    error = await top_level_error(gql, **arguments)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error


async def all_pages(
    gql: GraphQLClient, filter: dict[str, Any], order: tuple[str, str], first: int
) -> list[dict[str, Any]]:
    """Every edge, following `endCursor` page by page."""
    edges: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(200):
        page = await discover(gql, filter, order, first=first, after=after)
        info = page["pageInfo"]
        assert len(page["edges"]) <= first
        assert info["hasPreviousPage"] is (after is not None)
        if page["edges"]:
            assert info["startCursor"] == page["edges"][0]["cursor"]
            assert info["endCursor"] == page["edges"][-1]["cursor"]
        edges += page["edges"]
        if not info["hasNextPage"]:
            return edges
        assert len(page["edges"]) == first
        after = info["endCursor"]
    raise AssertionError("paging did not end")


def sort_value(node: dict[str, Any], order_field: str) -> Any:
    if order_field == "RIZZ_SCORE":
        return node["rizzScore"]
    if order_field == "TOTAL_FOLLOWERS":
        return node["stats"]["totalFollowers"]
    if order_field == "AVG_ENGAGEMENT":
        return node["stats"]["avgEngagement"]
    return datetime.fromisoformat(node["updatedAt"])


def forged_cursor(payload: object) -> str:
    """A cursor in the server's format (base64url of a JSON array) holding anything at all."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------
# Shared data sets (built once per module: registration hashes a password)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def gql(server: RunningServer) -> AsyncIterator[GraphQLClient]:
    """One client for the module (it overrides the per-test one): most tests here send a request
    or two, and opening a client per test would cost more than the requests."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield GraphQLClient(client)


@dataclass
class Catalog:
    scope: str
    cooking: str
    gaming: str
    fashion: str


@pytest.fixture(scope="module")
async def catalog(gql: GraphQLClient) -> Catalog:
    """Six profiles with distinct features for the filter tests, one of them private."""
    scope, tok = new_token(), new_token()
    cat = Catalog(scope, cooking=f"{tok}-cooking", gaming=f"{tok}-gaming", fashion=f"{tok}-fashion")
    specs = [
        Spec(
            f"Alpha Zeta {scope}",
            bio="Vegan cooking in Lisbon",
            niches=[cat.cooking, "vegan"],
            city="Lisbon",
            country="Portugal",
            platforms={"TIKTOK": (1000, 5.0)},
        ),
        Spec(
            f"Bravo {scope}",
            role="BRAND",
            bio="We sell 100% cotton_shirts",
            niches=[cat.fashion],
            city="New York",
            country="USA",
            platforms={"INSTAGRAM": (50_000, 2.0)},
        ),
        Spec(
            f"Charlie {scope}",
            niches=[cat.gaming],
            city="new york",
            country="usa",
            platforms={"TWITCH": (200, None), "YOUTUBE": (300, 8.0)},
        ),
        Spec(
            f"Delta Hidden {scope}",
            bio="Private vegan cooking",
            niches=[cat.cooking],
            city="Lisbon",
            country="Portugal",
            platforms={"TIKTOK": (1_000_000, 9.0)},
            public=False,
        ),
        Spec(
            f"Echo 🎉 {scope}",
            bio="Backslash \\ and quotes ' \" fan",
            city="Porto",
            country="Portugal",
        ),
        Spec(
            f"Foxtrot {scope}",
            role="BRAND",
            bio="it's fine",
            niches=[cat.gaming, cat.fashion],
            platforms={"TWITTER": (10, None)},
        ),
    ]
    await make_profiles(gql, scope, specs)
    return cat


def short(found: set[str], scope: str) -> set[str]:
    """Display names without the scope token, for readable assertions."""
    return {n.replace(f" {scope}", "") for n in found}


@dataclass
class Ranked:
    """Profiles with many ties on every sort value."""

    scope: str
    ids: set[str]


@pytest.fixture(scope="module")
async def ranked(gql: GraphQLClient) -> Ranked:
    scope = new_token()
    shapes = (
        # total 1000, avg 5.0 (five identical profiles: identical rizz score too)
        [{"TIKTOK": (1000, 5.0)}] * 5
        # total 1000, avg 2.0
        + [{"INSTAGRAM": (600, 2.0), "TWITTER": (400, None)}] * 4
        # total 50, avg 5.0
        + [{"YOUTUBE": (50, 5.0)}] * 3
        # nothing synced: total 0, avg 0
        + [{}] * 2
    )
    random.Random(7).shuffle(shapes)  # so that id order says nothing about value order
    specs = [Spec(f"Ranked {i:02d} {scope}", platforms=p) for i, p in enumerate(shapes)]
    accounts = await make_profiles(gql, scope, specs)
    return Ranked(scope, {a.profile_id for a in accounts})


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


async def test_discovery_lists_only_public_profiles_of_the_scope(
    gql: GraphQLClient, catalog: Catalog
):
    found = await names(gql, {"niches": [catalog.scope]})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Bravo", "Charlie", "Echo 🎉", "Foxtrot"}


async def test_search_matches_display_name_case_insensitively(gql: GraphQLClient, catalog: Catalog):
    for text in ("alpha zeta", "ALPHA ZETA", "lPhA z"):
        found = await names(gql, {"niches": [catalog.scope], "search": text})
        assert short(found, catalog.scope) == {"Alpha Zeta"}, text


async def test_search_matches_bio_case_insensitively(gql: GraphQLClient, catalog: Catalog):
    found = await names(gql, {"niches": [catalog.scope], "search": "VEGAN COOKING"})
    assert short(found, catalog.scope) == {"Alpha Zeta"}  # Delta's bio matches but it is private
    found = await names(gql, {"niches": [catalog.scope], "search": "cotton_SHIRTS"})
    assert short(found, catalog.scope) == {"Bravo"}


async def test_search_by_unique_token_alone_finds_the_scope(gql: GraphQLClient, catalog: Catalog):
    found = await names(gql, {"search": catalog.scope})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Bravo", "Charlie", "Echo 🎉", "Foxtrot"}


async def test_search_of_blank_text_does_not_filter(gql: GraphQLClient, catalog: Catalog):
    found = await names(gql, {"niches": [catalog.scope], "search": "   "})
    assert len(found) == 5


async def test_search_matches_percent_literally(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    assert short(await names(gql, {**scoped, "search": "%"}), catalog.scope) == {"Bravo"}
    assert short(await names(gql, {**scoped, "search": "100%"}), catalog.scope) == {"Bravo"}
    assert await names(gql, {**scoped, "search": "1%0"}) == set()
    assert await names(gql, {**scoped, "search": "%%%"}) == set()


async def test_search_matches_underscore_literally(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    assert short(await names(gql, {**scoped, "search": "_"}), catalog.scope) == {"Bravo"}
    # "n_w" would match "New York" / "new york" if "_" were a wildcard.
    assert await names(gql, {**scoped, "search": "n_w"}) == set()
    assert await names(gql, {**scoped, "search": "Br_vo"}) == set()


async def test_search_matches_backslash_quotes_and_emoji_literally(
    gql: GraphQLClient, catalog: Catalog
):
    scoped = {"niches": [catalog.scope]}
    assert short(await names(gql, {**scoped, "search": "\\"}), catalog.scope) == {"Echo 🎉"}
    assert short(await names(gql, {**scoped, "search": '"'}), catalog.scope) == {"Echo 🎉"}
    assert short(await names(gql, {**scoped, "search": "🎉"}), catalog.scope) == {"Echo 🎉"}
    assert short(await names(gql, {**scoped, "search": "'"}), catalog.scope) == {
        "Echo 🎉",
        "Foxtrot",
    }
    assert short(await names(gql, {**scoped, "search": "it's"}), catalog.scope) == {"Foxtrot"}
    # A backslash does not escape what follows it: "\%" is two literal characters.
    assert await names(gql, {**scoped, "search": "\\%"}) == set()
    assert await names(gql, {**scoped, "search": "\\_"}) == set()


@pytest.mark.parametrize(
    "text",
    [
        "' OR 1=1 --",
        "' OR '1'='1",
        '"; DROP TABLE profiles; --',
        "'; DROP TABLE profiles; --",
        "\\'",
        "\\\\",
        "%' OR 1=1 --",
        "😀🚀 ünïcödé",
        "a" * 100,
    ],
)
async def test_hostile_search_text_is_plain_text(gql: GraphQLClient, catalog: Catalog, text: str):
    assert await names(gql, {"niches": [catalog.scope], "search": text}) == set()
    # The table is still there and nothing else changed.
    assert len(await names(gql, {"niches": [catalog.scope]})) == 5


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\x01", "bad\x7f"])
async def test_search_with_control_characters_is_refused(
    gql: GraphQLClient, catalog: Catalog, text: str
):
    error = await assert_bad_user_input(gql, filter={"niches": [catalog.scope], "search": text})
    assert error["extensions"]["field"] == ["filter", "search"]


@pytest.mark.parametrize("place", ["city", "country"])
async def test_place_with_control_characters_is_refused(gql: GraphQLClient, place: str):
    error = await assert_bad_user_input(gql, filter={place: "Lis\x00bon"})
    assert error["extensions"]["field"] == ["filter", place]


async def test_search_of_100_characters_is_allowed_and_101_refused(gql: GraphQLClient):
    await discover(gql, {"search": "x" * 100})
    error = await assert_bad_user_input(gql, filter={"search": "x" * 101})
    assert error["extensions"]["field"] == ["filter", "search"]
    assert error["extensions"]["userErrors"][0]["code"] == "TOO_LONG"


async def test_niches_filter_matches_any_of_the_niches(gql: GraphQLClient, catalog: Catalog):
    found = await names(gql, {"niches": [catalog.cooking, catalog.gaming]})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Charlie", "Foxtrot"}
    found = await names(gql, {"niches": [catalog.fashion]})
    assert short(found, catalog.scope) == {"Bravo", "Foxtrot"}


async def test_niches_filter_ignores_case_and_spacing(gql: GraphQLClient, catalog: Catalog):
    found = await names(gql, {"niches": [f"  {catalog.cooking.upper()} "]})
    assert short(found, catalog.scope) == {"Alpha Zeta"}


async def test_niches_filter_matches_whole_niches_only(gql: GraphQLClient, catalog: Catalog):
    assert await names(gql, {"niches": [catalog.cooking[:-1]]}) == set()
    # Foxtrot's niches are stored side by side as "|…-gaming|…-fashion|".
    assert await names(gql, {"niches": [f"{catalog.gaming}|{catalog.fashion}"]}) == set()
    assert await names(gql, {"niches": ["|", f"{catalog.gaming}|"]}) == set()


async def test_blank_niches_do_not_filter(gql: GraphQLClient, catalog: Catalog):
    assert len(await names(gql, {"search": catalog.scope, "niches": []})) == 5
    assert len(await names(gql, {"search": catalog.scope, "niches": ["", "  "]})) == 5


async def test_niches_filter_of_more_than_20_is_refused(gql: GraphQLClient):
    error = await assert_bad_user_input(gql, filter={"niches": [f"n{i}" for i in range(21)]})
    assert error["extensions"]["field"] == ["filter", "niches"]


async def test_platforms_filter_matches_any_synced_platform(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    found = await names(gql, {**scoped, "platforms": ["TIKTOK"]})
    assert short(found, catalog.scope) == {"Alpha Zeta"}  # Delta has TikTok but is private
    found = await names(gql, {**scoped, "platforms": ["TWITCH", "TWITTER"]})
    assert short(found, catalog.scope) == {"Charlie", "Foxtrot"}
    found = await names(gql, {**scoped, "platforms": ["INSTAGRAM", "YOUTUBE", "INSTAGRAM"]})
    assert short(found, catalog.scope) == {"Bravo", "Charlie"}


async def test_role_filter(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    found = await names(gql, {**scoped, "role": "BRAND"})
    assert short(found, catalog.scope) == {"Bravo", "Foxtrot"}
    found = await names(gql, {**scoped, "role": "CREATOR"})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Charlie", "Echo 🎉"}
    assert await names(gql, {**scoped, "role": "ADMIN"}) == set()


async def test_follower_bounds_are_inclusive_on_total_followers(
    gql: GraphQLClient, catalog: Catalog
):
    scoped = {"niches": [catalog.scope]}
    found = await names(gql, {**scoped, "minFollowers": 500})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Bravo", "Charlie"}
    found = await names(gql, {**scoped, "maxFollowers": 500})
    assert short(found, catalog.scope) == {"Charlie", "Echo 🎉", "Foxtrot"}
    found = await names(gql, {**scoped, "minFollowers": 501, "maxFollowers": 1000})
    assert short(found, catalog.scope) == {"Alpha Zeta"}
    found = await names(gql, {**scoped, "minFollowers": 0, "maxFollowers": 0})
    assert short(found, catalog.scope) == {"Echo 🎉"}


async def test_largest_bigint_max_followers_means_no_upper_bound(
    gql: GraphQLClient, catalog: Catalog
):
    found = await names(gql, {"niches": [catalog.scope], "maxFollowers": 2**53 - 1})
    assert len(found) == 5


async def test_min_followers_above_max_followers_is_refused(gql: GraphQLClient):
    error = await assert_bad_user_input(gql, filter={"minFollowers": 1001, "maxFollowers": 1000})
    assert error["extensions"]["field"] == ["filter", "minFollowers"]


@pytest.mark.parametrize("bound", ["minFollowers", "maxFollowers"])
async def test_negative_follower_bound_is_refused(gql: GraphQLClient, bound: str):
    error = await assert_bad_user_input(gql, filter={bound: -1})
    assert error["extensions"]["field"] == ["filter", bound]


async def test_min_engagement_filters_on_average_engagement(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    found = await names(gql, {**scoped, "minEngagement": 5.0})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Charlie"}
    found = await names(gql, {**scoped, "minEngagement": 5.01})
    assert short(found, catalog.scope) == {"Charlie"}
    assert len(await names(gql, {**scoped, "minEngagement": 0})) == 5


@pytest.mark.parametrize("value", [-0.5, 100.5])
async def test_min_engagement_outside_0_to_100_is_refused(gql: GraphQLClient, value: float):
    error = await assert_bad_user_input(gql, filter={"minEngagement": value})
    assert error["extensions"]["field"] == ["filter", "minEngagement"]


async def test_country_filter_ignores_case(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    found = await names(gql, {**scoped, "country": "USA"})
    assert short(found, catalog.scope) == {"Bravo", "Charlie"}
    found = await names(gql, {**scoped, "country": "  portugal "})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Echo 🎉"}
    assert await names(gql, {**scoped, "country": "Portu"}) == set()


async def test_city_filter_ignores_case(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    found = await names(gql, {**scoped, "city": "NEW YORK"})
    assert short(found, catalog.scope) == {"Bravo", "Charlie"}
    found = await names(gql, {**scoped, "city": "lisbon"})
    assert short(found, catalog.scope) == {"Alpha Zeta"}
    assert await names(gql, {**scoped, "city": "New"}) == set()


async def test_city_and_country_match_wildcards_literally(gql: GraphQLClient, catalog: Catalog):
    scoped = {"niches": [catalog.scope]}
    assert await names(gql, {**scoped, "city": "%"}) == set()
    assert await names(gql, {**scoped, "city": "New_York"}) == set()
    assert await names(gql, {**scoped, "country": "U_A"}) == set()


async def test_filters_combine_with_and(gql: GraphQLClient, catalog: Catalog):
    found = await names(gql, {"niches": [catalog.scope], "role": "CREATOR", "country": "portugal"})
    assert short(found, catalog.scope) == {"Alpha Zeta", "Echo 🎉"}
    found = await names(
        gql,
        {
            "niches": [catalog.cooking, catalog.gaming],
            "platforms": ["YOUTUBE", "TIKTOK"],
            "minFollowers": 600,
        },
    )
    assert short(found, catalog.scope) == {"Alpha Zeta"}


async def test_results_carry_the_profile_and_its_stats(gql: GraphQLClient, catalog: Catalog):
    connection = await discover(gql, {"niches": [catalog.gaming], "role": "CREATOR"})
    [edge] = connection["edges"]
    node = edge["node"]
    assert node["displayName"] == f"Charlie {catalog.scope}"
    assert node["role"] == "CREATOR"
    assert node["location"] == {"city": "new york", "state": None, "country": "usa"}
    assert set(node["niches"]) == {catalog.scope, catalog.gaming}
    assert node["stats"] == {"totalFollowers": 500, "avgEngagement": 8.0}


async def test_private_profile_is_never_listed_until_made_public(gql: GraphQLClient):
    scope = new_token()
    account = await make_profile(gql, scope, Spec(f"Shy {scope}", bio="shy", public=False))
    filters: list[dict[str, Any]] = [
        {"niches": [scope]},
        {"search": scope},
        {"search": "shy", "niches": [scope]},
        {"niches": [scope], "role": "CREATOR", "minFollowers": 0},
    ]
    for f in filters:
        assert await names(gql, f) == set(), f
    for order in ORDER_FIELDS:
        page = await discover(gql, {"niches": [scope]}, (order, "ASC"))
        assert page["edges"] == []

    # Not even to its owner.
    own = await gql.data(DISCOVER, {"filter": {"niches": [scope]}}, token=account.access_token)
    assert own["profiles"]["edges"] == []

    await update_profile(gql, account, {"isPublic": True})
    assert await names(gql, {"niches": [scope]}) == {f"Shy {scope}"}

    await update_profile(gql, account, {"isPublic": False})
    assert await names(gql, {"niches": [scope]}) == set()
    assert await names(gql, {"search": scope}) == set()


async def test_empty_result_has_no_cursors(gql: GraphQLClient):
    connection = await discover(gql, {"niches": [new_token()]})
    assert connection == {
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


# ---------------------------------------------------------------------------------------------
# Ordering and keyset paging
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("order_field", ORDER_FIELDS)
async def test_order_sorts_by_value_then_id_and_pages_without_repeats_or_skips(
    gql: GraphQLClient, ranked: Ranked, order_field: str, direction: str
):
    scoped = {"niches": [ranked.scope]}
    order = (order_field, direction)
    full = (await discover(gql, scoped, order, first=100))["edges"]
    assert {e["node"]["id"] for e in full} == ranked.ids

    keys = [(sort_value(e["node"], order_field), pk(e["node"]["id"])) for e in full]
    assert keys == sorted(keys, reverse=direction == "DESC")
    if order_field != "UPDATED_AT":  # the data set is built to tie on every other value
        assert len({k[0] for k in keys}) < len(keys)

    full_ids = [e["node"]["id"] for e in full]
    for first in (1, 2, 3):
        paged = await all_pages(gql, scoped, order, first)
        assert [e["node"]["id"] for e in paged] == full_ids, first
        assert [e["cursor"] for e in paged] == [e["cursor"] for e in full], first


async def test_ties_on_every_value_still_page_in_id_order(gql: GraphQLClient, ranked: Ranked):
    # The five identical TikTok profiles tie on rizz score, followers and engagement.
    scoped = {"niches": [ranked.scope], "platforms": ["TIKTOK"]}
    for direction in DIRECTIONS:
        for order_field in ("RIZZ_SCORE", "TOTAL_FOLLOWERS", "AVG_ENGAGEMENT"):
            paged = await all_pages(gql, scoped, (order_field, direction), first=2)
            values = {sort_value(e["node"], order_field) for e in paged}
            assert len(paged) == 5 and len(values) == 1
            ids = [pk(e["node"]["id"]) for e in paged]
            assert ids == sorted(ids, reverse=direction == "DESC")


async def test_default_order_is_rizz_score_descending(gql: GraphQLClient, ranked: Ranked):
    scoped = {"niches": [ranked.scope]}
    default = await discover(gql, scoped)
    explicit = await discover(gql, scoped, ("RIZZ_SCORE", "DESC"))
    assert default == explicit
    # A cursor of the default order continues the explicit one and vice versa.
    after = default["edges"][2]["cursor"]
    assert await discover(gql, scoped, first=3, after=after) == await discover(
        gql, scoped, ("RIZZ_SCORE", "DESC"), first=3, after=after
    )


async def test_paging_with_a_filter_keeps_the_filter(gql: GraphQLClient, ranked: Ranked):
    scoped = {"niches": [ranked.scope], "minFollowers": 1000}
    paged = await all_pages(gql, scoped, ("TOTAL_FOLLOWERS", "ASC"), first=4)
    assert len(paged) == 9
    assert {e["node"]["stats"]["totalFollowers"] for e in paged} == {1000}


async def test_paging_skips_no_unchanged_row_when_earlier_rows_move_or_leave(
    gql: GraphQLClient,
):
    scope = new_token()
    accounts = await make_profiles(
        gql, scope, [Spec(f"Mover {i} {scope}", platforms={"TIKTOK": (100, 1.0)}) for i in range(6)]
    )
    by_id = {a.profile_id: a for a in accounts}
    scoped = {"niches": [scope]}
    order = ("TOTAL_FOLLOWERS", "DESC")
    first_page = await discover(gql, scoped, order, first=3)
    seen = [e["node"]["id"] for e in first_page["edges"]]
    unseen = sorted(set(by_id) - set(seen), key=pk, reverse=True)
    # Rows already seen move up and leave the list (offset paging would now skip a row).
    await sync(gql, by_id[seen[2]], {"TIKTOK": (10_000, 1.0)})
    await update_profile(gql, by_id[seen[1]], {"isPublic": False})
    rest = await all_pages_after(gql, scoped, order, 3, first_page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest] == unseen


async def all_pages_after(
    gql: GraphQLClient, filter: dict[str, Any], order: tuple[str, str], first: int, after: str
) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = []
    while True:
        page = await discover(gql, filter, order, first=first, after=after)
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]


# ---------------------------------------------------------------------------------------------
# Arguments that are refused
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [100_000, 101, 0, -1])
async def test_first_outside_1_to_100_is_refused(gql: GraphQLClient, first: int):
    error = await assert_bad_user_input(gql, first=first)
    assert error["extensions"]["field"] == ["first"]
    assert error["extensions"]["userErrors"][0]["code"] == "OUT_OF_RANGE"


async def test_first_of_100_is_allowed(gql: GraphQLClient, ranked: Ranked):
    connection = await discover(gql, {"niches": [ranked.scope]}, first=100)
    assert len(connection["edges"]) == len(ranked.ids)
    assert connection["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("cursor_order", "query_order"),
    [
        (("RIZZ_SCORE", "DESC"), ("TOTAL_FOLLOWERS", "DESC")),
        (("TOTAL_FOLLOWERS", "ASC"), ("AVG_ENGAGEMENT", "ASC")),
        (("AVG_ENGAGEMENT", "DESC"), ("UPDATED_AT", "DESC")),
        (("UPDATED_AT", "ASC"), ("RIZZ_SCORE", "ASC")),
        (("TOTAL_FOLLOWERS", "DESC"), ("TOTAL_FOLLOWERS", "ASC")),
        (("UPDATED_AT", "ASC"), ("UPDATED_AT", "DESC")),
    ],
)
async def test_cursor_of_another_ordering_is_refused(
    gql: GraphQLClient,
    ranked: Ranked,
    cursor_order: tuple[str, str],
    query_order: tuple[str, str],
):
    scoped = {"niches": [ranked.scope]}
    cursor = (await discover(gql, scoped, cursor_order, first=2))["pageInfo"]["endCursor"]
    assert (await discover(gql, scoped, cursor_order, first=2, after=cursor))["edges"]
    error = await assert_bad_user_input(gql, filter=scoped, order=query_order, after=cursor)
    assert error["extensions"]["field"] == ["after"]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "!!!!",
        "====",
        "\x00",
        "🎉",
        base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
        forged_cursor({"a": 1, "b": 2, "c": 3, "d": 4}),
        forged_cursor([]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, 1, 2]),
        forged_cursor(["RIZZ_SCORE", 10, 1]),  # no direction
        forged_cursor("RIZZ_SCORE"),
        forged_cursor(None),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, "1"]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, True]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, None]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, 1.0]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, 2**63]),
        forged_cursor(["RIZZ_SCORE", "DESC", 10, -(2**63) - 1]),
        forged_cursor(["RIZZ_SCORE", "desc", 10, 1]),
        forged_cursor(["rizz_score", "DESC", 10, 1]),
        forged_cursor(["NOT_A_FIELD", "DESC", 10, 1]),
        forged_cursor([["RIZZ_SCORE"], "DESC", 10, 1]),
        base64.urlsafe_b64encode(b'["RIZZ_SCORE", "DESC", 10, 1' + b"0" * 30 + b"]").decode(),
    ],
)
async def test_garbage_cursor_is_refused(gql: GraphQLClient, cursor: str):
    error = await assert_bad_user_input(gql, after=cursor)
    assert error["extensions"]["field"] == ["after"]


def test_a_filter_is_validated_into_what_the_query_needs():
    valid = validate_filter(
        ProfileFilter(
            search="  vegan \t cooking ",
            niches=["a|b", "  "],
            platforms=[Platform.TIKTOK, Platform.TIKTOK],
            country=" Portugal ",
            city="   ",
        )
    )
    assert valid.search == "vegan cooking"
    assert valid.niche_tags == ()  # asked for, and no stored niche can hold "|"
    assert valid.platforms == frozenset({Platform.TIKTOK})
    assert valid.country == "Portugal" and valid.city is None
    blank = validate_filter(ProfileFilter(search="   ", niches=["   "]))
    assert blank.search is None and blank.niche_tags is None  # nothing to filter on


def test_a_filter_reports_every_problem_at_once_in_field_order():
    with pytest.raises(OperationError) as refused:
        validate_filter(
            ProfileFilter(
                search="x" * 101,
                niches=["n"] * 21,
                min_followers=5,
                max_followers=-1,
                min_engagement=math.inf,
                city="\x00",
            )
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        (("filter", "search"), ErrorCode.TOO_LONG),
        (("filter", "niches"), ErrorCode.TOO_MANY),
        (("filter", "maxFollowers"), ErrorCode.OUT_OF_RANGE),
        (("filter", "minFollowers"), ErrorCode.OUT_OF_RANGE),
        (("filter", "minEngagement"), ErrorCode.OUT_OF_RANGE),
        (("filter", "city"), ErrorCode.INVALID),
    ]


def test_an_id_from_a_client_is_a_row_id_only_within_a_bigint_key():
    assert is_row_id(1) and is_row_id(BIGINT_MAX)
    for not_an_id in (0, -1, BIGINT_MAX + 1, True, "1", 1.0, None):
        assert not is_row_id(not_an_id)
    # Global IDs and cursors apply the same rule.
    assert decode_id(encode_id("Profile", BIGINT_MAX)) == ("Profile", BIGINT_MAX)
    assert decode_id(encode_id("Profile", BIGINT_MAX + 1)) is None
    assert decode_id(encode_id("Profile", 0)) is None
    with pytest.raises(OperationError):
        positive_id(BIGINT_MAX + 1)


def test_discovery_and_realtime_cursors_share_one_wire_format():
    position = ["AVG_ENGAGEMENT", "DESC", 4.36, 7]
    assert unpack_cursor(forged_cursor(position)) == position
    assert unpack_cursor(pack_cursor(position)) == position
    assert unpack_cursor(encode_cursor("messages", 7)) == ["messages", 7]
    for garbage in ("", "garbage", "🎉", forged_cursor({"a": 1}), forged_cursor("RIZZ_SCORE")):
        assert unpack_cursor(garbage) is None


@pytest.mark.parametrize(
    ("order_field", "value"),
    [
        ("RIZZ_SCORE", 2**40),
        ("RIZZ_SCORE", -(2**40)),
        ("RIZZ_SCORE", "10"),
        ("RIZZ_SCORE", 10.5),
        ("RIZZ_SCORE", True),
        ("RIZZ_SCORE", None),
        ("TOTAL_FOLLOWERS", 2**63),
        ("TOTAL_FOLLOWERS", -(2**63) - 1),
        ("TOTAL_FOLLOWERS", "1000"),
        ("TOTAL_FOLLOWERS", 1.5),
        ("AVG_ENGAGEMENT", "nan"),
        ("AVG_ENGAGEMENT", "inf"),
        ("AVG_ENGAGEMENT", "-Infinity"),
        ("AVG_ENGAGEMENT", "5.0"),
        ("AVG_ENGAGEMENT", 1e308 * 10),  # orjson writes inf as null
        ("AVG_ENGAGEMENT", True),
        ("AVG_ENGAGEMENT", None),
        ("AVG_ENGAGEMENT", [1]),
        ("UPDATED_AT", "not a date"),
        ("UPDATED_AT", "2024-01-01T00:00:00"),  # no time zone
        ("UPDATED_AT", 1_700_000_000),
        ("UPDATED_AT", None),
        ("UPDATED_AT", "9999-12-31T23:59:59.999999-23:59"),  # past year 9999 in UTC
    ],
)
async def test_forged_cursor_with_a_bad_sort_value_is_refused(
    gql: GraphQLClient, order_field: str, value: object
):
    for direction in DIRECTIONS:
        cursor = forged_cursor([order_field, direction, value, 1])
        error = await assert_bad_user_input(gql, order=(order_field, direction), after=cursor)
        assert error["extensions"]["field"] == ["after"]


@pytest.mark.parametrize(
    ("order_field", "value"),
    [
        ("RIZZ_SCORE", 0),
        ("RIZZ_SCORE", 100),
        ("TOTAL_FOLLOWERS", 0),
        ("TOTAL_FOLLOWERS", 10_000_000_000),
        ("AVG_ENGAGEMENT", 0),
        ("AVG_ENGAGEMENT", 4.36),
        ("UPDATED_AT", "2024-01-01T00:00:00+00:00"),
        ("UPDATED_AT", "2024-01-01T02:00:00.123456+02:00"),
        ("UPDATED_AT", "0001-01-01T00:00:00+00:00"),
    ],
)
async def test_well_formed_cursor_of_the_same_ordering_is_accepted(
    gql: GraphQLClient, order_field: str, value: object
):
    for direction in DIRECTIONS:
        cursor = forged_cursor([order_field, direction, value, 1])
        page = await discover(
            gql, {"niches": [new_token()]}, (order_field, direction), after=cursor
        )
        assert page["edges"] == []


# ---------------------------------------------------------------------------------------------
# Page size and query count
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def crowd(gql: GraphQLClient) -> str:
    """Fifty public profiles, each with several platforms synced; returns their niche."""
    scope = new_token()
    platforms = {
        "TIKTOK": (1000, 5.0),
        "INSTAGRAM": (2000, 3.0),
        "YOUTUBE": (300, None),
        "TWITCH": (40, 1.0),
        "TWITTER": (5, 0.0),
    }
    specs = [Spec(f"Crowd {i} {scope}", platforms=platforms) for i in range(50)]
    await make_profiles(gql, scope, specs)
    return scope


async def test_first_defaults_to_20(gql: GraphQLClient, crowd: str):
    connection = await discover(gql, {"niches": [crowd]})
    assert len(connection["edges"]) == 20
    assert connection["pageInfo"]["hasNextPage"] is True


async def test_page_of_50_costs_as_many_queries_as_a_page_of_5(
    gql: GraphQLClient, crowd: str, count_queries: QueryCounter
):
    counts = {}
    for first in (5, 50):
        count_queries.statements.clear()
        data = await gql.data(
            DISCOVER_WITH_BREAKDOWN, {"filter": {"niches": [crowd]}, "first": first}
        )
        counts[first] = len(count_queries.statements)
        edges = data["profiles"]["edges"]
        assert len(edges) == first
        for edge in edges:
            stats = edge["node"]["stats"]
            assert stats["totalFollowers"] == 3345
            assert stats["avgEngagement"] == 3.0
            breakdown = stats["platformBreakdown"]
            assert breakdown["tiktok"] == {"followers": 1000, "engagement": 5.0}
            assert breakdown["instagram"] == {"followers": 2000}
            assert breakdown["youtube"] == {"followers": 300}
            assert breakdown["twitch"] == {"followers": 40}
            assert breakdown["twitter"] == {"followers": 5}
    assert counts[5] == counts[50], count_queries.statements
    assert 1 <= counts[50] <= 5, counts
