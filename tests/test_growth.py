"""Growth over 7, 30 and 90 days, chart series, and discovery by 30-day growth.

Every number is written through the public sync (`socialSync`); only its time is then moved
into the past through the model (``StatsSnapshot.taken_at``), since no public operation can
place a sync in time. Snapshots are re-dated in the order they were written, so a later sync
stays the later snapshot, as the sync path guarantees.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import Platform, Profile, SocialAccount, StatsSnapshot
from resolvers.cursors import pack_cursor
from resolvers.growth_refresh import due_profiles, refresh_growth
from schema.node import decode_id
from tests.conftest import Account, GraphQLClient, QueryCounter, RunningServer, register

SYNC = """mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) { userErrors { code message } } }"""

PROFILE_GROWTH = """query P($id: ID!, $w: GrowthWindow!) { profile(id: $id) { stats {
  growth(window: $w) { followersChange followersPercent engagementChange since fullWindow }
  platformBreakdown {
    youtube { growth(window: $w) { followersChange followersPercent engagementChange since
      fullWindow } }
    tiktok { growth(window: $w) { followersChange followersPercent engagementChange since
      fullWindow } }
  } } } }"""

SERIES = """query S($id: ID!, $r: SeriesResolution!, $d: Int!) { profile(id: $id) { stats {
  platformBreakdown { youtube { series(resolution: $r, days: $d) {
    at followers engagement } } } } } }"""

DISCOVER = """query D($filter: ProfileFilter, $orderBy: ProfileOrder, $first: Int, $after: String) {
  profiles(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { displayName stats { growth(window: DAYS_30) { followersPercent } } } }
    pageInfo { hasNextPage endCursor } } }"""

History = Sequence[tuple[float, int, float | None]]  # (days ago, followers, engagement)


@pytest.fixture(scope="module")
async def gql(server: RunningServer) -> AsyncIterator[GraphQLClient]:
    import httpx

    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        yield GraphQLClient(client)


def profile_pk(account: Account) -> int:
    decoded = decode_id(account.profile_id, "Profile")
    assert decoded is not None
    return decoded[1]


async def sync(
    gql: GraphQLClient, owner: Account, platform: str, followers: int, engagement: float | None
) -> None:
    item: dict[str, Any] = {"platform": platform, "followers": followers}
    if engagement is not None:
        item["engagement"] = engagement
    data = await gql.data(SYNC, {"input": item}, owner.access_token)
    assert data["socialSync"]["userErrors"] == []


async def with_history(
    gql: GraphQLClient, owner: Account, platform: str, history: History, now: datetime
) -> None:
    """Syncs each (days ago, followers, engagement), oldest first, then dates the snapshots so.
    The last sync, at 0 days ago, is left where it is: it recomputes the stored growth."""
    for _, followers, engagement in history:
        await sync(gql, owner, platform, followers, engagement)
    account = await SocialAccount.get(profile_id=profile_pk(owner), platform=Platform(platform))
    snapshots = await StatsSnapshot.filter(account_id=account.id).order_by("id")
    assert len(snapshots) == len(history)
    for snapshot, (days_ago, _, _) in zip(snapshots, history, strict=True):
        if days_ago:
            snapshot.taken_at = now - timedelta(days=days_ago)
            await snapshot.save(update_fields=["taken_at"])


async def resync(gql: GraphQLClient, owner: Account, platform: str, followers: int) -> None:
    """One more sync now: through the stats tail, which stores the 30-day growth."""
    await sync(gql, owner, platform, followers, None)


async def growth(gql: GraphQLClient, owner: Account, window: str) -> dict[str, Any]:
    data = await gql.data(PROFILE_GROWTH, {"id": owner.profile_id, "w": window}, owner.access_token)
    return data["profile"]["stats"]


def days_ago(stamp: str, now: datetime) -> float:
    return round((now - datetime.fromisoformat(stamp)).total_seconds() / 86400, 3)


async def test_growth_over_7_30_and_90_days_compares_with_the_last_snapshot_before_each(gql):
    owner = await register(gql)
    now = datetime.now(UTC)
    history = [(100, 1000, 2.0), (60, 1500, 2.5), (20, 1800, None), (3, 1900, 2.0), (0, 2000, 3.0)]
    await with_history(gql, owner, "YOUTUBE", history, now)

    week = (await growth(gql, owner, "DAYS_7"))["platformBreakdown"]["youtube"]["growth"]
    month = (await growth(gql, owner, "DAYS_30"))["platformBreakdown"]["youtube"]["growth"]
    quarter = (await growth(gql, owner, "DAYS_90"))["platformBreakdown"]["youtube"]["growth"]

    assert (week["followersChange"], week["followersPercent"]) == (200, 11.11)
    assert week["engagementChange"] is None  # the baseline had no engagement
    assert days_ago(week["since"], now) == 20 and week["fullWindow"] is True
    assert (month["followersChange"], month["followersPercent"]) == (500, 33.33)
    assert month["engagementChange"] == 0.5
    assert days_ago(month["since"], now) == 60
    assert (quarter["followersChange"], quarter["followersPercent"]) == (1000, 100.0)
    assert quarter["engagementChange"] == 1.0
    assert days_ago(quarter["since"], now) == 100


async def test_a_history_shorter_than_the_window_uses_the_oldest_snapshot_and_says_so(gql):
    owner = await register(gql)
    now = datetime.now(UTC)
    await with_history(gql, owner, "YOUTUBE", [(10, 400, None), (0, 300, None)], now)

    month = (await growth(gql, owner, "DAYS_30"))["platformBreakdown"]["youtube"]["growth"]

    assert (month["followersChange"], month["followersPercent"]) == (-100, -25.0)
    assert month["fullWindow"] is False
    assert days_ago(month["since"], now) == 10


async def test_one_sync_has_no_growth_and_a_zero_baseline_has_no_percent(gql):
    owner = await register(gql)
    await sync(gql, owner, "YOUTUBE", 50, None)
    stats = await growth(gql, owner, "DAYS_7")
    assert stats["growth"] is None
    assert stats["platformBreakdown"]["youtube"]["growth"] is None

    await with_history(gql, owner, "TIKTOK", [(9, 0, None), (0, 70, None)], datetime.now(UTC))
    tiktok = (await growth(gql, owner, "DAYS_7"))["platformBreakdown"]["tiktok"]["growth"]
    assert tiktok["followersChange"] == 70
    assert tiktok["followersPercent"] is None


async def test_profile_growth_sums_each_platforms_change_from_its_own_baseline(gql):
    owner = await register(gql)
    now = datetime.now(UTC)
    await with_history(gql, owner, "YOUTUBE", [(40, 1000, 2.0), (0, 1200, 4.0)], now)
    await with_history(gql, owner, "TIKTOK", [(12, 3000, 6.0), (0, 2900, 6.0)], now)

    stats = await growth(gql, owner, "DAYS_30")

    profile = stats["growth"]
    assert profile["followersChange"] == 200 - 100
    assert profile["followersPercent"] == 2.5  # 100 of 4000
    assert profile["engagementChange"] == 1.0  # average 5.0 now, 4.0 at the baselines
    assert days_ago(profile["since"], now) == 40
    assert profile["fullWindow"] is False  # TikTok's history reaches back 12 days only


async def test_series_keeps_the_last_numbers_of_each_day_and_week(gql):
    owner = await register(gql)
    now = datetime.now(UTC)
    # Monday of last week and of the week before, at noon, so buckets are plain to see.
    this_monday = (now - timedelta(days=now.weekday())).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    two_weeks = (now - (this_monday - timedelta(days=14))).total_seconds() / 86400
    history = [
        (two_weeks, 100, 1.0),
        (two_weeks - 0.1, 110, 1.5),  # same day, later: wins its day
        (two_weeks - 1, 120, None),  # the Tuesday: wins its week
        (two_weeks - 7, 130, 2.0),
        (0, 140, 2.5),
    ]
    await with_history(gql, owner, "YOUTUBE", history, now)

    async def series(resolution: str, days: int) -> list[dict[str, Any]]:
        variables = {"id": owner.profile_id, "r": resolution, "d": days}
        data = await gql.data(SERIES, variables, owner.access_token)
        return data["profile"]["stats"]["platformBreakdown"]["youtube"]["series"]

    daily = await series("DAY", 30)
    assert [(p["followers"], p["engagement"]) for p in daily] == [
        (110, 1.5),
        (120, None),
        (130, 2.0),
        (140, 2.5),
    ]
    assert all(datetime.fromisoformat(p["at"]).time().isoformat() == "00:00:00" for p in daily)
    weekly = await series("WEEK", 30)
    assert [p["followers"] for p in weekly] == [120, 130, 140]
    assert [datetime.fromisoformat(p["at"]).weekday() for p in weekly] == [0, 0, 0]
    assert [p["followers"] for p in await series("DAY", 1)] == [140]


@pytest.mark.parametrize("days", [0, 366, -1])
async def test_series_days_outside_1_to_365_are_refused(gql, days: int):
    owner = await register(gql)
    await sync(gql, owner, "YOUTUBE", 5, None)
    variables = {"id": owner.profile_id, "r": "DAY", "d": days}
    result = await gql.post(SERIES, variables, owner.access_token)
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "1 to 365" in error["message"]


async def test_a_window_that_is_not_one_of_the_three_is_refused_by_graphql(gql):
    owner = await register(gql)
    result = await gql.post(PROFILE_GROWTH, {"id": owner.profile_id, "w": "DAYS_14"})
    assert result.get("data") is None
    assert "GrowthWindow" in result["errors"][0]["message"]


async def discover(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return (await gql.data(DISCOVER, variables))["profiles"]


@pytest.fixture(scope="module")
async def growers(gql: GraphQLClient) -> tuple[str, dict[str, float | None]]:
    """Profiles of one niche with known 30-day growth (ties included), one with none."""
    niche = "g" + uuid.uuid4().hex[:10]
    now = datetime.now(UTC)
    plan: dict[str, tuple[int, int] | None] = {
        "shrinks": (1000, 900),
        "flat": (1000, 1000),
        "flat too": (500, 500),
        "grows": (1000, 1100),
        "doubles": (100, 200),
        "tie a": (200, 250),
        "tie b": (400, 500),
        "new": None,
    }

    async def make(name: str, ends: tuple[int, int] | None) -> None:
        owner = await register(gql, display_name=f"{name} {niche}")
        update = "mutation U($i: ProfileUpdateInput!) { profileUpdate(input: $i) { __typename } }"
        await gql.data(update, {"i": {"niches": [niche]}}, owner.access_token)
        if ends is None:
            await sync(gql, owner, "YOUTUBE", 10, None)
            return
        await with_history(gql, owner, "YOUTUBE", [(45, ends[0], None)], now)
        await resync(gql, owner, "YOUTUBE", ends[1])

    await asyncio.gather(*(make(n, e) for n, e in plan.items()))
    expected = {
        "shrinks": -10.0,
        "flat": 0.0,
        "flat too": 0.0,
        "grows": 10.0,
        "doubles": 100.0,
        "tie a": 25.0,
        "tie b": 25.0,
        "new": None,
    }
    return niche, expected


async def test_min_growth_30d_keeps_profiles_that_grew_at_least_that_much(gql, growers):
    niche, expected = growers
    page = await discover(gql, filter={"niches": [niche], "minGrowth30d": 10}, first=100)
    found = {e["node"]["displayName"].removesuffix(f" {niche}") for e in page["edges"]}
    assert found == {"grows", "doubles", "tie a", "tie b"}
    page = await discover(gql, filter={"niches": [niche], "minGrowth30d": -100}, first=100)
    assert len(page["edges"]) == len(expected) - 1  # unknown growth never matches


@pytest.mark.parametrize("direction", ["DESC", "ASC"])
async def test_growth_30d_order_pages_by_growth_then_id_without_repeats(gql, growers, direction):
    niche, expected = growers
    seen: list[tuple[str, float]] = []
    after = None
    for _ in range(10):
        page = await discover(
            gql,
            filter={"niches": [niche]},
            orderBy={"field": "GROWTH_30D", "direction": direction},
            first=2,
            after=after,
        )
        for edge in page["edges"]:
            name = edge["node"]["displayName"].removesuffix(f" {niche}")
            seen.append((name, edge["node"]["stats"]["growth"]["followersPercent"]))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    known = sorted(v for v in expected.values() if v is not None)
    assert [v for _, v in seen] == (known[::-1] if direction == "DESC" else known)
    assert sorted(n for n, _ in seen) == sorted(n for n, v in expected.items() if v is not None)


async def test_a_growth_cursor_is_refused_by_another_order_and_a_forged_value_too(gql, growers):
    niche, _ = growers
    order = {"field": "GROWTH_30D", "direction": "DESC"}
    page = await discover(gql, filter={"niches": [niche]}, orderBy=order, first=1)
    cursor = page["pageInfo"]["endCursor"]
    other = {"field": "RIZZ_SCORE", "direction": "DESC"}
    variables = {"filter": {"niches": [niche]}, "orderBy": other, "after": cursor}
    result = await gql.post(DISCOVER, variables)
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    forged = pack_cursor(["GROWTH_30D", "DESC", -101.0, 1])
    result = await gql.post(DISCOVER, {"orderBy": order, "after": forged})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_min_growth_below_minus_100_is_refused(gql):
    result = await gql.post(DISCOVER, {"filter": {"minGrowth30d": -100.5}})
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_daily_job_recomputes_growth_whose_baseline_moved_with_time(gql, server):
    owner = await register(gql)
    now = datetime.now(UTC)
    await with_history(gql, owner, "YOUTUBE", [(40, 100, None), (29.5, 150, None)], now)
    await resync(gql, owner, "YOUTUBE", 300)
    profile = await Profile.get(id=profile_pk(owner))
    assert profile.growth_30d == 200.0  # 100 → 300: the 40-day-old snapshot is the baseline
    # A day passes: the 29.5-day-old snapshot is now 30.5 days old and the new baseline.
    snapshots = await StatsSnapshot.filter(account__profile_id=profile.id).order_by("id")
    for snapshot in snapshots:
        snapshot.taken_at -= timedelta(days=1)
        await snapshot.save(update_fields=["taken_at"])
    profile.growth_30d_at = now - timedelta(days=1)
    await profile.save(update_fields=["growth_30d_at"])

    result = await refresh_growth(server.services)

    assert result.recomputed >= 1
    await profile.refresh_from_db()
    assert profile.growth_30d == 100.0  # 150 → 300
    assert profile.user_id not in await due_profiles(datetime.now(UTC), 10_000)


async def test_growth_of_a_page_of_50_costs_as_many_queries_as_a_page_of_5(
    gql, count_queries: QueryCounter
):
    niche = "q" + uuid.uuid4().hex[:10]
    now = datetime.now(UTC)

    async def make(i: int) -> None:
        owner = await register(gql, display_name=f"crowd {i}")
        update = "mutation U($i: ProfileUpdateInput!) { profileUpdate(input: $i) { __typename } }"
        await gql.data(update, {"i": {"niches": [niche]}}, owner.access_token)
        await with_history(gql, owner, "YOUTUBE", [(40, 100, None), (0, 110, None)], now)
        await with_history(gql, owner, "TIKTOK", [(8, 100, None), (0, 90, None)], now)

    await asyncio.gather(*(make(i) for i in range(50)))
    query = """query D($filter: ProfileFilter, $first: Int) { profiles(filter: $filter,
      first: $first) { edges { node { stats {
        week: growth(window: DAYS_7) { followersChange }
        month: growth(window: DAYS_30) { followersChange }
        platformBreakdown { youtube { growth(window: DAYS_30) { followersChange } }
          tiktok { growth(window: DAYS_7) { followersChange } } } } } } } }"""
    counts = {}
    for first in (5, 50):
        count_queries.statements.clear()
        data = await gql.data(query, {"filter": {"niches": [niche]}, "first": first})
        counts[first] = len(count_queries.statements)
        edges = data["profiles"]["edges"]
        assert len(edges) == first
        for edge in edges:
            stats = edge["node"]["stats"]
            assert stats["week"]["followersChange"] == 10 - 10
            assert stats["month"]["followersChange"] == 10 - 10
            assert stats["platformBreakdown"]["youtube"]["growth"]["followersChange"] == 10
            assert stats["platformBreakdown"]["tiktok"]["growth"]["followersChange"] == -10
    assert counts[5] == counts[50], count_queries.statements
