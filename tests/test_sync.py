"""The sync path through GraphQL: numbers, aggregates, history, batches, bad input, races."""

from __future__ import annotations

import asyncio
import json

import httpx
import orjson
import pytest

from adapters.ratelimit import RateLimiter
from resolvers.stats_events import profile_topic
from schema.node import decode_id
from tests.conftest import Account, GraphQLClient, RunningServer, register, uses_postgres

SYNC = """
mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) {
    profile { id rizzScore stats { totalFollowers avgEngagement } }
    stats { platform followers engagement syncedAt }
    userErrors { field message code }
  }
}"""

BATCH = """
mutation Batch($input: SocialSyncBatchInput!) {
  socialSyncBatch(input: $input) {
    count
    results { platform stats { followers engagement } errors { field message code } }
    profile { stats { totalFollowers avgEngagement } }
    userErrors { field message code }
  }
}"""

STATS = """
query { viewer { profile { rizzScore stats { totalFollowers avgEngagement platformBreakdown {
  tiktok { followers engagement history(first: 50) { edges { node { followers engagement } }
           pageInfo { hasNextPage endCursor } } }
  instagram { followers engagement } youtube { followers engagement }
  twitch { followers engagement } twitter { followers engagement } } } } } }"""

SEED = [("TIKTOK", 1000, 7.5), ("INSTAGRAM", 15925, 2.91), ("YOUTUBE", 7100, 2.66)]


async def sync(
    gql: GraphQLClient,
    account: Account,
    platform: str,
    followers: object,
    engagement: object = None,
) -> dict:
    variables = {"input": {"platform": platform, "followers": followers}}
    if engagement is not None:
        variables["input"]["engagement"] = engagement
    return await gql.post(SYNC, variables, token=account.access_token)


async def stats(gql: GraphQLClient, account: Account) -> dict:
    return (await gql.data(STATS, token=account.access_token))["viewer"]["profile"]


async def test_seed_example_gives_documented_totals(gql: GraphQLClient, account: Account):
    for platform, followers, engagement in SEED:
        result = await sync(gql, account, platform, followers, engagement)
        assert result["data"]["socialSync"]["userErrors"] == []
    profile = await stats(gql, account)
    assert profile["stats"]["totalFollowers"] == 24025
    assert profile["stats"]["avgEngagement"] == 4.36
    breakdown = profile["stats"]["platformBreakdown"]
    assert breakdown["tiktok"]["followers"] == 1000
    assert breakdown["instagram"]["engagement"] == 2.91
    assert breakdown["twitch"] is None and breakdown["twitter"] is None
    # 21.90 audience + 13.08 engagement + 6.67 completeness (name, platforms) + 10 recency
    assert profile["rizzScore"] == 52


async def test_sync_returns_the_platform_stats_and_profile(gql: GraphQLClient, account: Account):
    result = await sync(gql, account, "TWITCH", 4200)
    payload = result["data"]["socialSync"]
    assert payload["stats"]["platform"] == "TWITCH"
    assert payload["stats"]["followers"] == 4200
    assert payload["stats"]["engagement"] is None
    assert payload["profile"]["id"] == account.profile_id
    assert payload["profile"]["stats"]["totalFollowers"] == 4200


async def test_resync_replaces_numbers_and_appends_history(gql: GraphQLClient, account: Account):
    for followers in (100, 200, 300):
        await sync(gql, account, "TIKTOK", followers, 1.5)
    tiktok = (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"]
    assert tiktok["followers"] == 300
    history = [e["node"]["followers"] for e in tiktok["history"]["edges"]]
    assert history == [300, 200, 100]


async def test_history_pages_newest_first(gql: GraphQLClient, account: Account):
    for followers in range(1, 6):
        await sync(gql, account, "YOUTUBE", followers)
    query = """query($after: String) { viewer { profile { stats { platformBreakdown { youtube {
      history(first: 2, after: $after) { edges { node { followers } }
      pageInfo { hasNextPage endCursor } } } } } } } }"""
    seen, after = [], None
    while True:
        data = await gql.data(query, {"after": after}, token=account.access_token)
        history = data["viewer"]["profile"]["stats"]["platformBreakdown"]["youtube"]["history"]
        seen += [e["node"]["followers"] for e in history["edges"]]
        if not history["pageInfo"]["hasNextPage"]:
            break
        after = history["pageInfo"]["endCursor"]
    assert seen == [5, 4, 3, 2, 1]


async def test_average_engagement_ignores_platforms_without_engagement(
    gql: GraphQLClient, account: Account
):
    await sync(gql, account, "TIKTOK", 10, 4.0)
    await sync(gql, account, "TWITCH", 10)
    await sync(gql, account, "YOUTUBE", 10, 0.0)
    profile = await stats(gql, account)
    assert profile["stats"]["avgEngagement"] == 4.0
    assert profile["stats"]["totalFollowers"] == 30


async def test_followers_up_to_the_cap_are_accepted_and_totals_pass_32_bits(
    gql: GraphQLClient, account: Account
):
    for platform in ("INSTAGRAM", "YOUTUBE"):
        result = await sync(gql, account, platform, 2_000_000_000)
        assert result["data"]["socialSync"]["userErrors"] == []
    profile = await stats(gql, account)
    assert profile["stats"]["totalFollowers"] == 4_000_000_000


@pytest.mark.parametrize(
    ("followers", "engagement", "field", "code"),
    [
        (-1, None, "followers", "OUT_OF_RANGE"),
        (2_000_000_001, None, "followers", "OUT_OF_RANGE"),
        (10**12, None, "followers", "OUT_OF_RANGE"),
        (10, -1, "engagement", "OUT_OF_RANGE"),
        (10, 100.5, "engagement", "OUT_OF_RANGE"),
    ],
)
async def test_out_of_range_numbers_are_user_errors_and_change_nothing(
    gql: GraphQLClient, account: Account, followers, engagement, field, code
):
    await sync(gql, account, "TIKTOK", 50, 5.0)
    result = await sync(gql, account, "TIKTOK", followers, engagement)
    payload = result["data"]["socialSync"]
    assert payload["profile"] is None and payload["stats"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [([field], code)]
    tiktok = (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"]
    assert (tiktok["followers"], tiktok["engagement"]) == (50, 5.0)
    assert len(tiktok["history"]["edges"]) == 1


@pytest.mark.parametrize(
    "followers",
    [1.5, "1000", True, None, 2**53 + 10, [1], {"n": 1}],
    ids=["fractional", "string", "boolean", "null", "beyond-2^53", "list", "object"],
)
async def test_mistyped_followers_are_refused_before_anything_runs(
    gql: GraphQLClient, account: Account, followers
):
    result = await sync(gql, account, "TIKTOK", followers)
    assert result.get("data") is None
    assert result["errors"][0]["message"]
    assert "Unexpected error" not in result["errors"][0]["message"]
    assert (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"] is None


@pytest.mark.parametrize("engagement", ["5", True, [5]])
async def test_mistyped_engagement_is_refused(gql: GraphQLClient, account: Account, engagement):
    result = await sync(gql, account, "TIKTOK", 10, engagement)
    assert result.get("data") is None and result["errors"]
    assert (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"] is None


async def test_nan_engagement_is_refused(http: httpx.AsyncClient, gql, account: Account):
    # JSON has no NaN; Python clients can still send the bare token. It must not get through.
    body = (
        '{"query": ' + json.dumps(SYNC) + ', "variables": {"input": {"platform": "TIKTOK", '
        '"followers": 1, "engagement": NaN}}}'
    )
    response = await http.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {account.access_token}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"] is None


async def test_unknown_platform_is_refused(gql: GraphQLClient, account: Account):
    result = await sync(gql, account, "MYSPACE", 10)
    assert result.get("data") is None
    assert "MYSPACE" in result["errors"][0]["message"]


async def test_sync_requires_sign_in(gql: GraphQLClient):
    result = await gql.post(SYNC, {"input": {"platform": "TIKTOK", "followers": 1}})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert result["data"] is None


async def test_batch_saves_every_platform_in_one_go(gql: GraphQLClient, account: Account):
    items = [{"platform": p, "followers": f, "engagement": e} for p, f, e in SEED]
    data = await gql.data(BATCH, {"input": {"items": items}}, token=account.access_token)
    payload = data["socialSyncBatch"]
    assert payload["count"] == 3 and payload["userErrors"] == []
    assert payload["profile"]["stats"] == {"totalFollowers": 24025, "avgEngagement": 4.36}
    assert [r["platform"] for r in payload["results"]] == ["TIKTOK", "INSTAGRAM", "YOUTUBE"]


async def test_batch_reject_everything_saves_nothing_when_one_row_fails(
    gql: GraphQLClient, account: Account
):
    items = [{"platform": "TIKTOK", "followers": 10}, {"platform": "YOUTUBE", "followers": -5}]
    data = await gql.data(
        BATCH,
        {"input": {"items": items, "errorPolicy": "REJECT_EVERYTHING"}},
        token=account.access_token,
    )
    payload = data["socialSyncBatch"]
    assert payload["count"] == 0
    assert payload["results"][0]["errors"] == [] and payload["results"][0]["stats"] is None
    assert payload["results"][1]["errors"][0]["field"] == ["items", "1", "followers"]
    assert payload["userErrors"][0]["code"] == "OUT_OF_RANGE"
    profile = await stats(gql, account)
    assert profile["stats"]["totalFollowers"] == 0
    assert profile["stats"]["platformBreakdown"]["tiktok"] is None


async def test_batch_reject_failed_rows_saves_the_good_rows(gql: GraphQLClient, account: Account):
    items = [
        {"platform": "TIKTOK", "followers": 10, "engagement": 3.0},
        {"platform": "YOUTUBE", "followers": 20, "engagement": 101.0},
        {"platform": "TWITTER", "followers": 30},
    ]
    data = await gql.data(
        BATCH,
        {"input": {"items": items, "errorPolicy": "REJECT_FAILED_ROWS"}},
        token=account.access_token,
    )
    payload = data["socialSyncBatch"]
    assert payload["count"] == 2
    assert payload["results"][1]["stats"] is None
    assert payload["results"][1]["errors"][0]["code"] == "OUT_OF_RANGE"
    assert payload["profile"]["stats"] == {"totalFollowers": 40, "avgEngagement": 3.0}


async def test_batch_with_a_platform_twice_rejects_both_rows(gql: GraphQLClient, account: Account):
    items = [
        {"platform": "TIKTOK", "followers": 10},
        {"platform": "TIKTOK", "followers": 20},
        {"platform": "TWITCH", "followers": 5},
    ]
    data = await gql.data(
        BATCH,
        {"input": {"items": items, "errorPolicy": "REJECT_FAILED_ROWS"}},
        token=account.access_token,
    )
    payload = data["socialSyncBatch"]
    assert payload["count"] == 1
    assert [r["errors"][0]["code"] for r in payload["results"][:2]] == ["DUPLICATE", "DUPLICATE"]
    breakdown = (await stats(gql, account))["stats"]["platformBreakdown"]
    assert breakdown["tiktok"] is None and breakdown["twitch"]["followers"] == 5


async def test_batch_of_101_items_is_refused_whole(gql: GraphQLClient, account: Account):
    items = [{"platform": "TIKTOK", "followers": i} for i in range(101)]
    data = await gql.data(
        BATCH,
        {"input": {"items": items, "errorPolicy": "REJECT_FAILED_ROWS"}},
        token=account.access_token,
    )
    payload = data["socialSyncBatch"]
    assert payload["count"] == 0 and payload["results"] == []
    assert payload["userErrors"] == [
        {"field": ["items"], "message": "Send at most 100 items at once.", "code": "TOO_MANY"}
    ]
    assert (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"] is None


async def test_empty_batch_is_refused(gql: GraphQLClient, account: Account):
    data = await gql.data(BATCH, {"input": {"items": []}}, token=account.access_token)
    assert data["socialSyncBatch"]["userErrors"][0]["code"] == "REQUIRED"


async def test_rate_limit_answers_with_when_to_retry(
    gql: GraphQLClient, server: RunningServer, account: Account
):
    services = server.services
    original = services.sync_limiter
    services.sync_limiter = RateLimiter.from_url("3/minute", server.settings.redis_url, "sync-test")
    try:
        for followers in (1, 2, 3):
            result = await sync(gql, account, "TIKTOK", followers)
            assert result["data"]["socialSync"]["userErrors"] == []
        result = await sync(gql, account, "TIKTOK", 4)
        errors = result["data"]["socialSync"]["userErrors"]
        assert errors[0]["code"] == "RATE_LIMITED"
        assert "seconds" in errors[0]["message"]
        other = await register(gql)
        assert (await sync(gql, other, "TIKTOK", 9))["data"]["socialSync"]["userErrors"] == []
    finally:
        services.sync_limiter = original
    tiktok = (await stats(gql, account))["stats"]["platformBreakdown"]["tiktok"]
    assert tiktok["followers"] == 3


async def test_a_sync_publishes_the_new_stats_after_commit(
    gql: GraphQLClient, server: RunningServer, account: Account
):
    profile_id = decode_id(account.profile_id, "Profile")[1]
    async with server.services.broker.subscribe(profile_topic(profile_id)) as events:
        await sync(gql, account, "TIKTOK", 777, 2.5)
        message = orjson.loads(await asyncio.wait_for(anext(events), 5))
    assert message["type"] == "STATS_UPDATED"
    assert message["totalFollowers"] == 777 and message["avgEngagement"] == 2.5
    assert f"Profile:{profile_id}" in message["tags"]


async def test_concurrent_syncs_of_one_profile_lose_no_update(gql: GraphQLClient, account: Account):
    """Many parallel syncs of one profile, each platform several times: every sync leaves a
    snapshot, and the aggregates equal the sum of each platform's last-written numbers."""
    platforms = ["TIKTOK", "INSTAGRAM", "YOUTUBE", "TWITCH", "TWITTER"]
    rounds = 8 if uses_postgres() else 4
    calls = [
        sync(gql, account, platform, 1000 * (r + 1) + i, float(i + 1))
        for r in range(rounds)
        for i, platform in enumerate(platforms)
    ]
    results = await asyncio.gather(*calls)
    assert all(r["data"]["socialSync"]["userErrors"] == [] for r in results)
    profile = await stats(gql, account)
    breakdown = profile["stats"]["platformBreakdown"]
    assert profile["stats"]["totalFollowers"] == sum(
        breakdown[p.lower()]["followers"] for p in platforms
    )
    assert profile["stats"]["avgEngagement"] == 3.0
    assert len(breakdown["tiktok"]["history"]["edges"]) == rounds
    # The account's current numbers are those of its newest snapshot.
    newest = breakdown["tiktok"]["history"]["edges"][0]["node"]["followers"]
    assert breakdown["tiktok"]["followers"] == newest
