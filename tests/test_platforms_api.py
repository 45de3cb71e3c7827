"""Platform lookups and provider-connected accounts end to end: GraphQL on the real server,
whose providers point at the fake servers. Connect → stats stored → snapshot recorded →
totals updated, for every platform, and every failure reaching the user as a typed error."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from adapters.cache import Cache
from adapters.platforms.lookup import PlatformLookup
from adapters.ratelimit import RateLimiter
from models import Platform, User
from resolvers import platforms
from resolvers.errors import ErrorCode, RateLimitedError
from tests.conftest import Account, GraphQLClient, register
from tests.fakes import FakeProviders, Reply
from tests.fakes import instagram_graph as graph_fake
from tests.fakes import rapidapi as rapid_fake
from tests.fakes import x as x_fake

LOOKUP = """
query Lookup($platform: Platform!, $handle: String!) {
  platformLookup(platform: $platform, handle: $handle) {
    profile { platform handle platformUserId displayName avatarUrl bio verified followers
              following contentCount totalLikes totalViews engagement engagementMethod
              engagementSample exact countPrecision provider fetchedAt }
    userErrors { field message code }
  }
}"""

CONNECT = """
mutation Connect($input: SocialAccountConnectInput!) {
  socialAccountConnect(input: $input) {
    account { platform handle displayName followers following contentCount totalLikes
              engagement engagementMethod countPrecision exact state source provider
              fetchedAt lastSyncedAt }
    profile { rizzScore stats { totalFollowers avgEngagement } }
    userErrors { field message code }
  }
}"""

REFRESH = """
mutation Refresh($input: SocialAccountRefreshInput!) {
  socialAccountRefresh(input: $input) {
    account { platform handle followers engagement state source provider fetchedAt lastSyncedAt }
    profile { stats { totalFollowers } }
    userErrors { field message code }
  }
}"""

DISCONNECT = """
mutation Disconnect($input: SocialAccountDisconnectInput!) {
  socialAccountDisconnect(input: $input) {
    profile { stats { totalFollowers avgEngagement platformBreakdown { tiktok { followers } } } }
    userErrors { field message code }
  }
}"""

VIEWER = """
query { viewer { profile { stats { totalFollowers avgEngagement platformBreakdown {
  tiktok { followers engagement history(first: 10) { edges { node { followers engagement } } } }
  instagram { followers engagement history(first: 10) { edges { node { followers } } } }
  youtube { followers engagement history(first: 10) { edges { node { followers } } } }
  twitch { followers engagement history(first: 10) { edges { node { followers } } } }
  twitter { followers engagement history(first: 10) { edges { node { followers } } } } } } } } }"""

# Asked apart from `viewer`: two top-level fields that both authenticate race in
# Context.viewer() (schema/context.py marks the viewer resolved before the token is checked).
ACCOUNTS = "{ socialAccounts { platform handle followers state source provider countPrecision } }"

SYNC = """
mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) { stats { followers } userErrors { code } }
}"""


def handle(prefix: str = "e") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def lookup(gql: GraphQLClient, account: Account, platform: str, text: str) -> dict:
    data = await gql.data(LOOKUP, {"platform": platform, "handle": text}, account.access_token)
    return data["platformLookup"]


async def connect(gql: GraphQLClient, account: Account, platform: str, text: str) -> dict:
    variables = {"input": {"platform": platform, "handle": text}}
    return (await gql.data(CONNECT, variables, account.access_token))["socialAccountConnect"]


async def refresh(gql: GraphQLClient, account: Account, platform: str, force: bool = False):
    variables = {"input": {"platform": platform, "force": force}}
    return (await gql.data(REFRESH, variables, account.access_token))["socialAccountRefresh"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def test_connect_every_platform_by_url_stores_normalized_stats(
    gql: GraphQLClient, fake_providers: FakeProviders
):
    account = await register(gql)
    tiktok, x, twitch, youtube, instagram = (handle(p) for p in ("tt", "x", "tw", "yt", "ig"))
    fake_providers.tiktok.add(tiktok, followers=427682, hearts=9_876_543, videos=321)
    fake_providers.x.add(x, followers=5100)
    fake_providers.twitch.add(twitch, followers=8123, view_count=55_000_000)
    fake_providers.youtube.add(youtube, subscribers="1230000")
    fake_providers.graph.add(instagram, followers=267793)

    entries = [
        ("TIKTOK", f"https://www.tiktok.com/@{tiktok.upper()}", 427682),
        ("TWITTER", f"https://x.com/{x}", 5100),
        ("TWITCH", f"https://www.twitch.tv/{twitch}", 8123),
        ("YOUTUBE", f"https://www.youtube.com/@{youtube}", 1230000),
        ("INSTAGRAM", f"https://www.instagram.com/{instagram}/", 267793),
    ]
    for platform, url, followers in entries:
        payload = await connect(gql, account, platform, url)
        assert payload["userErrors"] == [], payload
        stored = payload["account"]
        assert stored["platform"] == platform and stored["followers"] == followers
        assert stored["state"] == "READY" and stored["source"] == "PROVIDER"
        assert stored["provider"] is not None and stored["fetchedAt"] is not None

    data = await gql.data(VIEWER, token=account.access_token)
    stats = data["viewer"]["profile"]["stats"]
    assert stats["totalFollowers"] == sum(f for _, _, f in entries)
    breakdown = stats["platformBreakdown"]
    assert breakdown["tiktok"]["followers"] == 427682
    assert breakdown["tiktok"]["history"]["edges"][0]["node"]["followers"] == 427682
    assert breakdown["twitch"]["engagement"] is None  # no likes on Twitch: never a view count
    assert breakdown["youtube"]["engagement"] == 5.0
    engagements = [breakdown[p]["engagement"] for p in ("tiktok", "youtube", "instagram")]
    expected = round(sum(engagements) / 3, 2)
    assert abs(stats["avgEngagement"] - expected) <= 0.01
    listed = await gql.data(ACCOUNTS, token=account.access_token)
    accounts = {a["platform"]: a for a in listed["socialAccounts"]}
    assert accounts["TIKTOK"]["handle"] == tiktok and accounts["TIKTOK"]["provider"] == "RAPIDAPI"
    assert accounts["YOUTUBE"]["countPrecision"] == "ROUNDED"
    assert accounts["INSTAGRAM"]["provider"] == "INSTAGRAM_GRAPH"
    assert accounts["TWITCH"]["provider"] == "HELIX" and accounts["TWITTER"]["provider"] == "X"


async def test_lookup_returns_the_normalized_profile(gql, fake_providers, account):
    name = handle("tt")
    fake_providers.tiktok.add(name, followers=427682, hearts=9_876_543, videos=321)
    payload = await lookup(gql, account, "TIKTOK", f"@{name}")
    assert payload["userErrors"] == []
    profile = payload["profile"]
    assert profile["handle"] == name and profile["platform"] == "TIKTOK"
    assert profile["followers"] == 427682 and profile["exact"] is True
    assert profile["countPrecision"] == "EXACT" and profile["provider"] == "RAPIDAPI"
    assert profile["totalLikes"] == 9_876_543 and profile["contentCount"] == 321
    assert profile["engagementMethod"] == "HEARTS_PER_VIDEO_PER_FOLLOWER"
    assert profile["engagement"] == round(9_876_543 / 321 / 427_682 * 100, 2)
    assert profile["engagementSample"] == 321
    assert profile["fetchedAt"].endswith("+00:00")


async def test_lookup_is_cached_and_shared_by_other_users(gql, fake_providers, account):
    name = handle("tt")
    fake_providers.tiktok.add(name)
    other = await register(gql)
    first = await lookup(gql, account, "TIKTOK", name)
    second = await lookup(gql, other, "TIKTOK", f"https://www.tiktok.com/@{name}")
    assert first["profile"] == second["profile"]
    assert fake_providers.tiktok.calls[name] == 1


async def test_100_concurrent_lookups_through_graphql_make_one_upstream_call(
    gql, fake_providers, account
):
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.delays[name] = 0.3
    results = await asyncio.gather(*(lookup(gql, account, "TIKTOK", name) for _ in range(100)))
    assert all(r["profile"]["followers"] == 427682 for r in results)
    assert fake_providers.tiktok.calls[name] == 1


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        ("TIKTOK", "a"),
        ("TIKTOK", "has space"),
        ("TWITTER", "much_too_long_for_x"),
        ("TWITCH", "_underscore"),
        ("INSTAGRAM", "two..dots"),
        ("YOUTUBE", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("TWITTER", "https://www.tiktok.com/@someone"),
        ("INSTAGRAM", ""),
    ],
)
async def test_an_impossible_handle_is_refused_before_any_network_call(
    gql, fake_providers, account, platform, text
):
    before = sum(sum(f.calls.values()) for f in fake_providers.all())
    payload = await lookup(gql, account, platform, text)
    assert payload["profile"] is None
    assert payload["userErrors"][0]["code"] == "INVALID_HANDLE"
    assert payload["userErrors"][0]["field"] == ["handle"]
    connected = await connect(gql, account, platform, text)
    assert codes(connected) == ["INVALID_HANDLE"] and connected["account"] is None
    assert sum(sum(f.calls.values()) for f in fake_providers.all()) == before


async def test_not_found_private_and_unavailable_are_typed(gql, fake_providers, account):
    missing, private, broken = handle("tt"), handle("tt"), handle("tt")
    fake_providers.tiktok.add(private, private=True)
    fake_providers.tiktok.script(broken, Reply(200, body=b"{not json"))
    assert codes(await lookup(gql, account, "TIKTOK", missing)) == ["NOT_FOUND"]
    assert codes(await lookup(gql, account, "TIKTOK", private)) == ["PRIVATE"]
    unavailable = await lookup(gql, account, "TIKTOK", broken)
    assert codes(unavailable) == ["PROVIDER_UNAVAILABLE"]
    assert "by hand" in unavailable["userErrors"][0]["message"]
    for name, code in [(missing, "NOT_FOUND"), (private, "PRIVATE")]:
        payload = await connect(gql, account, "TIKTOK", name)
        assert codes(payload) == [code] and payload["account"] is None


async def test_not_found_on_x_is_reported_from_its_200_with_errors(gql, fake_providers, account):
    name = handle("x")
    payload = await lookup(gql, account, "TWITTER", f"https://twitter.com/{name}")
    assert codes(payload) == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["handle"]
    assert fake_providers.twitter241.calls[name] == 0  # a definitive answer


async def test_rate_limit_reaches_the_user_with_when(gql, fake_providers, account):
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.script(name, rapid_fake.too_many_requests(retry_after=90))
    payload = await lookup(gql, account, "TIKTOK", name)
    assert codes(payload) == ["RATE_LIMITED"]
    assert "90 seconds" in payload["userErrors"][0]["message"]


async def test_refused_credentials_are_reported_as_misconfigured(gql, fake_providers, account):
    name = handle("tt")
    fake_providers.tiktok.script(
        name, Reply(403, json={"message": "You are not subscribed to this API."})
    )
    payload = await lookup(gql, account, "TIKTOK", name)
    assert codes(payload) == ["PROVIDER_MISCONFIGURED"]


async def test_instagram_rate_limit_falls_back_to_apify(gql, fake_providers, account):
    name = handle("ig")
    fake_providers.graph.add(name)
    fake_providers.apify.add(name, followers=999)
    fake_providers.graph.script(name, graph_fake.rate_limited(regain_minutes=10))
    payload = await connect(gql, account, "INSTAGRAM", name)
    assert payload["userErrors"] == []
    assert payload["account"]["provider"] == "APIFY" and payload["account"]["followers"] == 999


async def test_quota_exhausted_saves_the_account_and_says_enter_numbers_by_hand(
    gql, fake_providers
):
    account = await register(gql)
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.script(name, rapid_fake.monthly_quota(reset_seconds=1))
    started = time.monotonic()
    payload = await connect(gql, account, "TIKTOK", name)
    assert codes(payload) == ["QUOTA_EXCEEDED"]
    message = payload["userErrors"][0]["message"]
    assert "saved" in message and "by hand" in message
    assert payload["account"]["state"] == "QUOTA_LIMITED"
    assert payload["account"]["handle"] == name and payload["account"]["followers"] == 0
    assert fake_providers.tiktok.calls[name] == 1  # a monthly quota is not retried
    # the numbers typed by hand take over, and the account is ready again
    typed = await gql.data(
        SYNC, {"input": {"platform": "TIKTOK", "followers": 777}}, account.access_token
    )
    assert typed["socialSync"]["userErrors"] == []
    listed = await gql.data(ACCOUNTS, token=account.access_token)
    tiktok = next(a for a in listed["socialAccounts"] if a["platform"] == "TIKTOK")
    assert tiktok["state"] == "READY" and tiktok["followers"] == 777
    assert tiktok["source"] == "MANUAL" and tiktok["provider"] is None
    assert tiktok["handle"] == name
    # let the fake plan's quota reset pass so the shared server's TikTok provider works again
    await asyncio.sleep(max(0.0, 1.2 - (time.monotonic() - started)))


async def test_hidden_subscribers_are_null_with_precision_hidden(gql, fake_providers, account):
    name = handle("yt")
    fake_providers.youtube.add(name, hidden=True)
    payload = await connect(gql, account, "YOUTUBE", name)
    assert payload["userErrors"] == []
    assert payload["account"]["followers"] is None
    assert payload["account"]["countPrecision"] == "HIDDEN" and payload["account"]["exact"] is False


async def test_refresh_uses_the_cache_unless_forced_and_force_is_rate_limited(gql, fake_providers):
    account = await register(gql)
    name = handle("tw")
    channel = fake_providers.twitch.add(name, followers=100)
    assert (await connect(gql, account, "TWITCH", name))["userErrors"] == []
    channel.followers = 150
    cached = await refresh(gql, account, "TWITCH")
    assert cached["userErrors"] == [] and cached["account"]["followers"] == 100
    assert fake_providers.twitch.calls[name] == 1
    forced = await refresh(gql, account, "TWITCH", force=True)
    assert forced["userErrors"] == [] and forced["account"]["followers"] == 150
    assert forced["profile"]["stats"]["totalFollowers"] == 150
    assert fake_providers.twitch.calls[name] == 2
    for _ in range(2):
        assert (await refresh(gql, account, "TWITCH", force=True))["userErrors"] == []
    limited = await refresh(gql, account, "TWITCH", force=True)
    assert codes(limited) == ["RATE_LIMITED"] and limited["userErrors"][0]["field"] == ["force"]
    assert fake_providers.twitch.calls[name] == 4
    data = await gql.data(VIEWER, token=account.access_token)
    history = data["viewer"]["profile"]["stats"]["platformBreakdown"]["twitch"]["history"]
    # connect, then one snapshot per forced refresh; the cached refresh stored nothing new
    assert [e["node"]["followers"] for e in history["edges"]] == [150, 150, 150, 100]


async def test_refresh_marks_an_account_that_disappeared(gql, fake_providers):
    account = await register(gql)
    name = handle("x")
    fake_providers.x.add(name, followers=42)
    assert (await connect(gql, account, "TWITTER", name))["userErrors"] == []
    del fake_providers.x.users[name]
    payload = await refresh(gql, account, "TWITTER", force=True)
    assert codes(payload) == ["NOT_FOUND"]
    assert payload["account"]["state"] == "NOT_FOUND"
    assert payload["account"]["followers"] == 42  # the last known numbers stay


async def test_refresh_without_a_connected_account_says_connect_first(gql, account):
    payload = await refresh(gql, account, "YOUTUBE")
    assert codes(payload) == ["NOT_FOUND"] and payload["userErrors"][0]["field"] == ["platform"]


async def test_disconnect_removes_the_platform_and_recomputes_totals(gql, fake_providers):
    account = await register(gql)
    tiktok, x = handle("tt"), handle("x")
    fake_providers.tiktok.add(tiktok, followers=1000)
    fake_providers.x.add(x, followers=500)
    await connect(gql, account, "TIKTOK", tiktok)
    await connect(gql, account, "TWITTER", x)
    variables = {"input": {"platform": "TIKTOK"}}
    payload = (await gql.data(DISCONNECT, variables, account.access_token))[
        "socialAccountDisconnect"
    ]
    assert payload["userErrors"] == []
    assert payload["profile"]["stats"]["totalFollowers"] == 500
    assert payload["profile"]["stats"]["platformBreakdown"]["tiktok"] is None
    again = (await gql.data(DISCONNECT, variables, account.access_token))["socialAccountDisconnect"]
    assert codes(again) == ["NOT_FOUND"]


async def test_platforms_lists_capabilities_under_this_configuration(gql):
    data = await gql.data("{ platforms { platform manual providerFetch providers oauth summary } }")
    by_platform = {p["platform"]: p for p in data["platforms"]}
    assert set(by_platform) == {"TIKTOK", "INSTAGRAM", "YOUTUBE", "TWITCH", "TWITTER"}
    assert all(p["manual"] and p["providerFetch"] and not p["oauth"] for p in data["platforms"])
    assert by_platform["INSTAGRAM"]["providers"] == ["INSTAGRAM_GRAPH", "APIFY"]
    assert by_platform["TWITTER"]["providers"] == ["X", "RAPIDAPI"]


async def test_lookups_and_account_changes_need_a_signed_in_user(gql):
    result = await gql.post(LOOKUP, {"platform": "TIKTOK", "handle": "someone"})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    result = await gql.post(CONNECT, {"input": {"platform": "TIKTOK", "handle": "someone"}})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_x_usage_cap_on_lookup_falls_back_to_twitter241(gql, fake_providers, account):
    name = handle("x")
    fake_providers.x.add(name)
    fake_providers.twitter241.add(name, followers=31337)
    fake_providers.x.script(name, x_fake.too_many_requests(retry_after=600))
    payload = await lookup(gql, account, "TWITTER", name)
    assert payload["userErrors"] == []
    assert payload["profile"]["provider"] == "RAPIDAPI"
    assert payload["profile"]["followers"] == 31337


async def test_a_platform_without_a_provider_is_manual_only_and_says_so(gql, server, account):
    services = server.services
    configured = services.platforms
    services.platforms = PlatformLookup({}, Cache.memory())  # as if no credentials were set
    try:
        payload = await lookup(gql, account, "TWITCH", "shroud")
        assert codes(payload) == ["NOT_CONFIGURED"]
        assert payload["userErrors"][0]["field"] == ["platform"]
        assert "by hand" in payload["userErrors"][0]["message"]
        assert codes(await connect(gql, account, "TWITCH", "shroud")) == ["NOT_CONFIGURED"]
        data = await gql.data("{ platforms { platform providerFetch providers summary } }")
        twitch = next(p for p in data["platforms"] if p["platform"] == "TWITCH")
        assert twitch["providerFetch"] is False and twitch["providers"] == []
        assert twitch["summary"] == "Manual entry only: no data provider is configured for Twitch."
    finally:
        services.platforms = configured


async def test_too_many_lookups_raise_the_one_rate_limit_error(server, fake_providers, account):
    """The same error type as syncs and sign-ins, so every boundary (GraphQL, REST's 429) maps it
    alike, with the wait in seconds for Retry-After."""
    services = server.services
    original = services.platform_lookup_limiter
    tight = RateLimiter.from_url("1/minute", server.settings.redis_url, "lookup-test")
    services.platform_lookup_limiter = tight
    user = await User.get(email=account.email)
    first, second = handle("tw"), handle("tw")
    fake_providers.twitch.add(first)
    fake_providers.twitch.add(second)
    try:
        await platforms.lookup(services, user, Platform.TWITCH, first)
        with pytest.raises(RateLimitedError) as refused:
            await platforms.lookup(services, user, Platform.TWITCH, second)
    finally:
        services.platform_lookup_limiter = original
        await tight.reset()
    assert 1 <= refused.value.retry_after_seconds <= 60
    assert refused.value.what == "lookups"
    [error] = refused.value.errors
    assert error.code is ErrorCode.RATE_LIMITED and error.field is None
    assert error.message.startswith("Too many lookups. Try again in ")
    assert fake_providers.twitch.calls[second] == 0


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (119, "119 seconds"),
        (120, "2 minutes"),
        (121, "3 minutes"),
        (7199, "120 minutes"),
        (7200, "2 hours"),
        (7201, "3 hours"),
    ],
)
def test_a_rate_limit_says_what_and_how_long_in_words(seconds: int, wait: str):
    refused = RateLimitedError(seconds, "forced refreshes", ("force",))
    assert refused.retry_after_seconds == seconds
    [error] = refused.errors
    assert error.message == f"Too many forced refreshes. Try again in {wait}."
    assert error.field == ("force",) and error.code is ErrorCode.RATE_LIMITED
