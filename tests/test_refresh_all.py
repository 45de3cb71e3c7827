"""`socialAccountRefreshAll`: every connected account fetched again, one result per platform,
one forced refresh's worth of rate limit."""

from __future__ import annotations

from typing import Any

from tests.conftest import Account, GraphQLClient, register
from tests.fakes import FakeProviders
from tests.fakes import rapidapi as rapid_fake
from tests.test_platforms_api import SYNC, codes, connect, handle, refresh

REFRESH_ALL = """mutation { socialAccountRefreshAll {
  results { platform account { followers state provider } userErrors { code message } }
  profile { stats { totalFollowers } }
  userErrors { code message } } }"""


async def refresh_all(gql: GraphQLClient, owner: Account) -> dict[str, Any]:
    return (await gql.data(REFRESH_ALL, None, owner.access_token))["socialAccountRefreshAll"]


async def test_refresh_all_gives_one_result_per_connected_platform_whatever_each_outcome(
    gql: GraphQLClient, fake_providers: FakeProviders
):
    owner = await register(gql)
    youtube, tiktok, x = handle("yt"), handle("tt"), handle("x")
    channel = fake_providers.youtube.add(youtube, subscribers="1000")
    fake_providers.tiktok.add(tiktok, followers=500)
    fake_providers.x.add(x, followers=70)
    for platform, name in (("YOUTUBE", youtube), ("TIKTOK", tiktok), ("TWITTER", x)):
        assert (await connect(gql, owner, platform, name))["userErrors"] == []
    manual = {"input": {"platform": "TWITCH", "followers": 9}}
    await gql.data(SYNC, manual, owner.access_token)

    channel.subscribers = "1650"  # grew
    # The key's quota is spent for a second only: the session's other tests share the key.
    fake_providers.tiktok.script(tiktok, rapid_fake.monthly_quota(reset_seconds=1))
    del fake_providers.x.users[x]  # gone

    payload = await refresh_all(gql, owner)

    assert payload["userErrors"] == []
    results = {r["platform"]: r for r in payload["results"]}
    assert set(results) == {"YOUTUBE", "TIKTOK", "TWITTER"}  # the manual TWITCH is left out
    assert results["YOUTUBE"]["userErrors"] == []
    assert results["YOUTUBE"]["account"] == {
        "followers": 1650,
        "state": "READY",
        "provider": "YOUTUBE",
    }
    assert codes(results["TIKTOK"]) == ["QUOTA_EXCEEDED"]
    assert results["TIKTOK"]["account"] == {
        "followers": 500,
        "state": "QUOTA_LIMITED",
        "provider": "RAPIDAPI",
    }
    assert codes(results["TWITTER"]) == ["NOT_FOUND"]
    assert results["TWITTER"]["account"]["state"] == "NOT_FOUND"
    assert payload["profile"]["stats"]["totalFollowers"] == 1650 + 500 + 70 + 9


async def test_refresh_all_counts_as_one_forced_refresh_in_the_same_limit(
    gql: GraphQLClient, fake_providers: FakeProviders
):
    owner = await register(gql)
    for platform in ("YOUTUBE", "TWITTER"):
        name = handle("y")
        if platform == "YOUTUBE":
            fake_providers.youtube.add(name)
        else:
            fake_providers.x.add(name)
        assert (await connect(gql, owner, platform, name))["userErrors"] == []

    assert (await refresh_all(gql, owner))["userErrors"] == []  # 1 of 3 an hour
    assert (await refresh(gql, owner, "YOUTUBE", force=True))["userErrors"] == []  # 2
    assert (await refresh_all(gql, owner))["userErrors"] == []  # 3
    refused = await refresh_all(gql, owner)
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["results"] == []


async def test_refresh_all_with_nothing_connected_has_no_results(gql: GraphQLClient):
    owner = await register(gql)
    payload = await refresh_all(gql, owner)
    assert payload == {"results": [], "profile": {"stats": {"totalFollowers": 0}}, "userErrors": []}
