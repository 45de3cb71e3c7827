"""Each provider adapter against its fake server: success, not found the provider's own way,
private accounts, counts as strings, hidden counts, quotas, rate limits, outages, timeouts,
malformed bodies and wrong credentials. Every test builds its own provider (fresh breaker, quota
gate and token) and uses its own handles."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.platforms.errors import (
    AccountNotFound,
    AccountPrivate,
    ProviderUnauthorized,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.provider import Provider
from adapters.platforms.registry import build_http_client, build_providers
from adapters.platforms.types import CountPrecision, EngagementMethod, Platform, ProviderName
from adapters.platforms.youtube import next_pacific_midnight
from tests.fakes import FakeProviders, Reply
from tests.fakes import apify as apify_fake
from tests.fakes import instagram_graph as graph_fake
from tests.fakes import rapidapi as rapid_fake
from tests.fakes import x as x_fake
from tests.fakes import youtube as yt_fake


def handle(prefix: str = "h") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def make(fake_providers: FakeProviders) -> AsyncIterator:
    """Builds one provider as the app would, with its own HTTP client (so a test can shorten
    the read timeout) and a fresh breaker, quota gate and token."""
    clients: list[httpx.AsyncClient] = []

    def build(platform: Platform, name: ProviderName, **env: str) -> Provider:
        settings = fake_providers.settings(**env)
        clients.append(build_http_client(settings))
        return next(p for p in build_providers(settings, clients[-1])[platform] if p.name == name)

    yield build
    for client in clients:
        await client.aclose()


# --- YouTube Data API v3 -------------------------------------------------------------------


async def test_youtube_channel_is_normalized_from_string_counts(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name, title="Cooking Daily", subscribers="1230000")
    provider = make(Platform.YOUTUBE, ProviderName.YOUTUBE)
    profile = await provider.fetch(name)
    assert profile.platform is Platform.YOUTUBE and profile.handle == name
    assert profile.platform_user_id.startswith("UC")
    assert profile.display_name == "Cooking Daily"
    assert profile.followers == 1_230_000 and isinstance(profile.followers, int)
    assert profile.total_views == 98_765_432 and profile.content_count == 3
    assert profile.precision is CountPrecision.ROUNDED and not profile.exact
    assert profile.avatar_url and profile.avatar_url.endswith("=s800")
    # (500 + 100 + 700 + 200 + 1300 + 200) / 60000 views × 100
    assert profile.engagement.rate == 5.0
    assert profile.engagement.method is EngagementMethod.LIKES_COMMENTS_PER_VIEW
    assert profile.engagement.sample_size == 3
    assert profile.provider is ProviderName.YOUTUBE
    assert abs((datetime.now(UTC) - profile.fetched_at).total_seconds()) < 5
    seen = [s for s in fake_providers.youtube.seen if s.query.get("forHandle") == [f"@{name}"]]
    assert seen and seen[0].headers["x-goog-api-key"] == yt_fake.API_KEY


async def test_youtube_hidden_subscriber_count_is_hidden_not_zero(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name, hidden=True)
    profile = await make(Platform.YOUTUBE, ProviderName.YOUTUBE).fetch(name)
    assert profile.followers is None
    assert profile.precision is CountPrecision.HIDDEN


async def test_youtube_not_found_is_a_200_without_items(fake_providers, make):
    name = handle("yt")
    with pytest.raises(AccountNotFound) as caught:
        await make(Platform.YOUTUBE, ProviderName.YOUTUBE).fetch(name)
    assert caught.value.definitive
    assert fake_providers.youtube.calls[name] == 1


async def test_youtube_quota_is_terminal_until_pacific_midnight(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name)
    fake_providers.youtube.script(name, yt_fake.quota_exceeded())
    provider = make(Platform.YOUTUBE, ProviderName.YOUTUBE)
    with pytest.raises(QuotaExhausted) as caught:
        await provider.fetch(name)
    assert caught.value.retry_at == next_pacific_midnight(datetime.now(UTC))
    assert fake_providers.youtube.calls[name] == 1  # not retried
    with pytest.raises(QuotaExhausted):  # and not asked again until the reset
        await provider.fetch(name)
    assert fake_providers.youtube.calls[name] == 1


async def test_youtube_wrong_key_is_unauthorized(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name)
    provider = make(Platform.YOUTUBE, ProviderName.YOUTUBE, YOUTUBE_API_KEY="wrong")
    with pytest.raises(ProviderUnauthorized):
        await provider.fetch(name)
    assert fake_providers.youtube.calls[name] == 1


async def test_youtube_5xx_then_success_is_retried(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name)
    fake_providers.youtube.script(
        name, Reply(503, body=b"<html>Service Unavailable</html>"), Reply(500, json={})
    )
    profile = await make(Platform.YOUTUBE, ProviderName.YOUTUBE).fetch(name)
    assert profile.followers == 1_230_000
    assert fake_providers.youtube.calls[name] == 3


async def test_youtube_malformed_json_is_unavailable_and_not_retried(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name)
    fake_providers.youtube.script(name, Reply(200, body=b'{"kind": "youtube#channelList'))
    with pytest.raises(ProviderUnavailable):
        await make(Platform.YOUTUBE, ProviderName.YOUTUBE).fetch(name)
    assert fake_providers.youtube.calls[name] == 1


async def test_youtube_timeout_is_retried_then_unavailable(fake_providers, make):
    name = handle("yt")
    fake_providers.youtube.add(name)
    fake_providers.youtube.script(name, Reply(delay=1.0, json={}), Reply(delay=1.0, json={}))
    provider = make(
        Platform.YOUTUBE,
        ProviderName.YOUTUBE,
        PROVIDER_READ_TIMEOUT_SECONDS="0.2",
        PROVIDER_RETRY_ATTEMPTS="2",
    )
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="in time"):
        await provider.fetch(name)
    assert time.monotonic() - started < 1.5
    assert fake_providers.youtube.calls[name] == 2


# --- Twitch Helix ----------------------------------------------------------------------------


async def test_twitch_helix_follower_total_and_no_engagement_from_views(fake_providers, make):
    name = handle("tw")
    fake_providers.twitch.add(name, followers=8123, view_count=987_654_321)
    profile = await make(Platform.TWITCH, ProviderName.HELIX).fetch(name)
    assert profile.followers == 8123 and profile.exact
    assert profile.verified is True  # a partner
    assert profile.total_views == 987_654_321
    assert profile.engagement.rate is None  # never the view count
    assert profile.engagement.method is EngagementMethod.NOT_AVAILABLE


async def test_twitch_helix_unknown_login_is_an_empty_data_list(fake_providers, make):
    with pytest.raises(AccountNotFound):
        await make(Platform.TWITCH, ProviderName.HELIX).fetch(handle("tw"))


async def test_twitch_app_token_is_cached_and_renewed_once_on_401(fake_providers, make):
    name = handle("tw")
    fake_providers.twitch.add(name)
    provider = make(Platform.TWITCH, ProviderName.HELIX)
    before = fake_providers.twitch.token_requests
    await provider.fetch(name)
    await provider.fetch(name)
    assert fake_providers.twitch.token_requests == before + 1
    fake_providers.twitch.revoke_tokens()  # as if Twitch had invalidated it
    profile = await provider.fetch(name)
    assert profile.followers == 4200
    assert fake_providers.twitch.token_requests == before + 2


async def test_twitch_wrong_secret_is_unauthorized(fake_providers, make):
    provider = make(Platform.TWITCH, ProviderName.HELIX, TWITCH_CLIENT_SECRET="wrong")
    with pytest.raises(ProviderUnauthorized):
        await provider.fetch(handle("tw"))


async def test_twitch_rate_limit_honours_the_reset_header(fake_providers, make):
    name = handle("tw")
    fake_providers.twitch.add(name)
    reset = str(int(time.time()))  # already passed: retry at once
    fake_providers.twitch.script(
        name,
        Reply(
            429,
            json={"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"},
            headers={
                "Ratelimit-Limit": "800",
                "Ratelimit-Remaining": "0",
                "Ratelimit-Reset": reset,
            },
        ),
    )
    profile = await make(Platform.TWITCH, ProviderName.HELIX).fetch(name)
    assert profile.followers == 4200
    assert fake_providers.twitch.calls[name] == 2


# --- X API v2 --------------------------------------------------------------------------------


async def test_x_user_is_normalized_and_likes_given_are_not_likes_received(fake_providers, make):
    name = handle("x")
    fake_providers.x.add(name, followers=5100, verified_type="blue")
    profile = await make(Platform.TWITTER, ProviderName.X).fetch(name)
    assert profile.followers == 5100 and profile.following == 300
    assert profile.content_count == 12000
    assert profile.verified is True
    assert profile.total_likes is None
    assert profile.engagement.method is EngagementMethod.NOT_AVAILABLE


async def test_x_not_found_is_a_200_with_errors(fake_providers, make):
    name = handle("x")
    with pytest.raises(AccountNotFound):
        await make(Platform.TWITTER, ProviderName.X).fetch(name)
    assert fake_providers.x.calls[name] == 1


async def test_x_monthly_usage_cap_is_not_retried(fake_providers, make):
    name = handle("x")
    fake_providers.x.add(name)
    fake_providers.x.script(name, x_fake.usage_capped())
    provider = make(Platform.TWITTER, ProviderName.X)
    with pytest.raises(QuotaExhausted) as caught:
        await provider.fetch(name)
    retry_at = caught.value.retry_at
    assert retry_at is not None and retry_at.day == 1 and retry_at > datetime.now(UTC)
    assert fake_providers.x.calls[name] == 1
    with pytest.raises(QuotaExhausted):
        await provider.fetch(handle("x"))  # any handle: the product cap is spent
    assert fake_providers.x.calls[name] == 1


async def test_x_retryable_429_waits_for_retry_after(fake_providers, make):
    name = handle("x")
    fake_providers.x.add(name)
    fake_providers.x.script(name, x_fake.too_many_requests(retry_after=1))
    started = time.monotonic()
    profile = await make(Platform.TWITTER, ProviderName.X).fetch(name)
    assert profile.followers == 5100
    assert time.monotonic() - started >= 0.95
    assert fake_providers.x.calls[name] == 2


async def test_x_429_with_a_long_retry_after_is_returned_with_its_time(fake_providers, make):
    name = handle("x")
    fake_providers.x.add(name)
    fake_providers.x.script(name, x_fake.too_many_requests(retry_after=120))
    with pytest.raises(RateLimited) as caught:
        await make(Platform.TWITTER, ProviderName.X).fetch(name)
    wait = (caught.value.retry_at - datetime.now(UTC)).total_seconds()
    assert 100 < wait <= 120
    assert fake_providers.x.calls[name] == 1


async def test_x_wrong_bearer_token_is_unauthorized(fake_providers, make):
    provider = make(Platform.TWITTER, ProviderName.X, X_BEARER_TOKEN="wrong")
    with pytest.raises(ProviderUnauthorized):
        await provider.fetch(handle("x"))


# --- RapidAPI: tiktok-api23, twitter241, twitch-scraper2 -------------------------------------


async def test_tiktok_prefers_exact_string_stats_v2(fake_providers, make):
    name = handle("tt")
    fake_providers.tiktok.add(name, followers=427682, hearts=9_876_543, videos=321)
    profile = await make(Platform.TIKTOK, ProviderName.RAPIDAPI).fetch(name)
    assert profile.followers == 427_682 and profile.precision is CountPrecision.EXACT
    assert profile.total_likes == 9_876_543 and profile.content_count == 321
    assert profile.verified is True and profile.bio == "dance · food · travel"
    assert profile.engagement.method is EngagementMethod.HEARTS_PER_VIDEO_PER_FOLLOWER
    assert profile.engagement.rate == round(9_876_543 / 321 / 427_682 * 100, 2)
    seen = [s for s in fake_providers.tiktok.seen if s.query.get("uniqueId") == [name]]
    assert seen[0].headers["x-rapidapi-host"] == "tiktok-api23.p.rapidapi.com"
    assert seen[0].headers["x-rapidapi-key"] == rapid_fake.RAPIDAPI_KEY


async def test_tiktok_rounded_stats_are_marked_rounded(fake_providers, make):
    name = handle("tt")
    fake_providers.tiktok.add(name, followers=427682, stats_v2=False)
    profile = await make(Platform.TIKTOK, ProviderName.RAPIDAPI).fetch(name)
    assert profile.followers == 427_700 and profile.precision is CountPrecision.ROUNDED


@pytest.mark.parametrize("code", [10202, 10221])
async def test_tiktok_not_found_is_a_200_with_status_code(fake_providers, make, code):
    name = handle("tt")
    fake_providers.tiktok.script(
        name, Reply(json={"extra": {}, "statusCode": code, "status_msg": "user not exist"})
    )
    with pytest.raises(AccountNotFound):
        await make(Platform.TIKTOK, ProviderName.RAPIDAPI).fetch(name)


async def test_tiktok_private_account_is_refused(fake_providers, make):
    name = handle("tt")
    fake_providers.tiktok.add(name, private=True)
    with pytest.raises(AccountPrivate):
        await make(Platform.TIKTOK, ProviderName.RAPIDAPI).fetch(name)


async def test_rapidapi_monthly_quota_is_terminal_until_the_plan_resets(fake_providers, make):
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.script(name, rapid_fake.monthly_quota(reset_seconds=3600))
    provider = make(Platform.TIKTOK, ProviderName.RAPIDAPI)
    with pytest.raises(QuotaExhausted) as caught:
        await provider.fetch(name)
    wait = (caught.value.retry_at - datetime.now(UTC)).total_seconds()
    assert 3500 < wait <= 3600
    assert fake_providers.tiktok.calls[name] == 1
    with pytest.raises(QuotaExhausted):
        await provider.fetch(name)
    assert fake_providers.tiktok.calls[name] == 1


async def test_rapidapi_plan_with_no_requests_left_is_not_asked_again(fake_providers, make):
    first, second = handle("tt"), handle("tt")
    fake_providers.tiktok.add(first)
    fake_providers.tiktok.script(
        first,
        Reply(
            json=fake_providers.tiktok.normal(first).json,
            headers={"x-ratelimit-requests-remaining": "0", "x-ratelimit-requests-reset": "600"},
        ),
    )
    provider = make(Platform.TIKTOK, ProviderName.RAPIDAPI)
    assert (await provider.fetch(first)).followers == 427_682
    with pytest.raises(QuotaExhausted):
        await provider.fetch(second)
    assert fake_providers.tiktok.calls[second] == 0


async def test_rapidapi_too_many_requests_is_retried(fake_providers, make):
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.script(name, rapid_fake.too_many_requests(retry_after=0))
    profile = await make(Platform.TIKTOK, ProviderName.RAPIDAPI).fetch(name)
    assert profile.followers == 427_682
    assert fake_providers.tiktok.calls[name] == 2


@pytest.mark.parametrize("key", ["wrong", ""])
async def test_rapidapi_wrong_or_missing_key_is_unauthorized(fake_providers, make, key):
    provider = make(Platform.TIKTOK, ProviderName.RAPIDAPI, RAPIDAPI_KEY="k")
    provider.key = key
    with pytest.raises(ProviderUnauthorized):
        await provider.fetch(handle("tt"))


async def test_twitter241_reads_core_and_legacy_shapes(fake_providers, make):
    modern, older = handle("tr"), handle("tr")
    fake_providers.twitter241.add(modern, name="Modern", followers=8800)
    fake_providers.twitter241.add(older, name="Older", followers=77, legacy_only=True)
    provider = make(Platform.TWITTER, ProviderName.RAPIDAPI)
    first, second = await provider.fetch(modern), await provider.fetch(older)
    assert (first.display_name, first.followers, first.handle) == ("Modern", 8800, modern)
    assert (second.display_name, second.followers, second.handle) == ("Older", 77, older)
    assert first.avatar_url and second.avatar_url
    assert first.verified is True and first.content_count == 23000
    seen = [s for s in fake_providers.twitter241.seen if s.query.get("username") == [modern]]
    assert seen[0].headers["x-rapidapi-host"] == "twitter241.p.rapidapi.com"


async def test_twitter241_empty_result_is_not_found(fake_providers, make):
    with pytest.raises(AccountNotFound):
        await make(Platform.TWITTER, ProviderName.RAPIDAPI).fetch(handle("tr"))


async def test_twitch_scraper2_channel_and_not_found(fake_providers, make):
    name = handle("ts")
    fake_providers.twitch_scraper.add(name, followers=15000, partner=True)
    provider = make(Platform.TWITCH, ProviderName.RAPIDAPI)
    profile = await provider.fetch(name)
    assert profile.followers == 15000 and profile.verified is True
    assert profile.engagement.rate is None
    with pytest.raises(AccountNotFound):
        await provider.fetch(handle("ts"))


# --- Apify instagram-profile-scraper ---------------------------------------------------------


async def test_apify_instagram_profile_and_engagement(fake_providers, make):
    name = handle("ig")
    fake_providers.apify.add(name, followers=15925, posts=[(400, 40), (300, 30), (500, 50)])
    profile = await make(Platform.INSTAGRAM, ProviderName.APIFY).fetch(name)
    assert profile.followers == 15925 and profile.exact
    # mean of (likes + comments) = 440, / 15925 followers × 100
    assert profile.engagement.rate == round(440 / 15925 * 100, 2)
    assert profile.engagement.method is EngagementMethod.LIKES_COMMENTS_PER_FOLLOWER
    assert profile.engagement.sample_size == 3
    seen = next(s for s in fake_providers.apify.seen if name.encode() in s.body)
    assert (
        seen.method == "POST"
        and seen.headers["authorization"] == f"Bearer {apify_fake.APIFY_TOKEN}"
    )


async def test_apify_hidden_likes_are_left_out_of_the_sample(fake_providers, make):
    name = handle("ig")
    fake_providers.apify.add(name, followers=1000, posts=[(-1, 10), (90, 10)])
    profile = await make(Platform.INSTAGRAM, ProviderName.APIFY).fetch(name)
    assert profile.engagement.rate == 10.0 and profile.engagement.sample_size == 1


@pytest.mark.parametrize(
    "items", [[], [{"username": "x", "private": False, "error": "not_found"}], [{"id": "1"}]]
)
async def test_apify_not_found_is_an_empty_array_or_an_item_without_counts(
    fake_providers, make, items
):
    name = handle("ig")
    fake_providers.apify.script(name, Reply(json=items))
    with pytest.raises(AccountNotFound):
        await make(Platform.INSTAGRAM, ProviderName.APIFY).fetch(name)


async def test_apify_private_account_is_refused(fake_providers, make):
    name = handle("ig")
    fake_providers.apify.add(name, private=True)
    with pytest.raises(AccountPrivate):
        await make(Platform.INSTAGRAM, ProviderName.APIFY).fetch(name)


async def test_apify_spent_usage_is_quota_exhausted(fake_providers, make):
    name = handle("ig")
    fake_providers.apify.script(name, apify_fake.usage_exhausted())
    with pytest.raises(QuotaExhausted):
        await make(Platform.INSTAGRAM, ProviderName.APIFY).fetch(name)


async def test_apify_runs_are_not_repeated_after_a_5xx(fake_providers, make):
    name = handle("ig")
    fake_providers.apify.add(name)
    fake_providers.apify.script(name, Reply(502, body=b"Bad Gateway"))
    with pytest.raises(ProviderUnavailable):
        await make(Platform.INSTAGRAM, ProviderName.APIFY).fetch(name)
    assert fake_providers.apify.calls[name] == 1  # each run costs money: not repeated


async def test_apify_wrong_token_is_unauthorized(fake_providers, make):
    with pytest.raises(ProviderUnauthorized):
        await make(Platform.INSTAGRAM, ProviderName.APIFY, APIFY_TOKEN="wrong").fetch(handle("ig"))


# --- Instagram Graph API business_discovery --------------------------------------------------


async def test_graph_business_discovery_is_normalized(fake_providers, make):
    name = handle("ig")
    fake_providers.graph.add(name, followers=267793, media=[(5000, 120), (None, 80), (6000, 200)])
    profile = await make(Platform.INSTAGRAM, ProviderName.INSTAGRAM_GRAPH).fetch(name)
    assert profile.followers == 267_793 and profile.content_count == 1205
    assert profile.verified is None  # Meta does not say
    assert profile.engagement.sample_size == 2  # the post with hidden likes is left out
    assert profile.engagement.rate == round((5120 + 6200) / 2 / 267_793 * 100, 2)
    seen = next(s for s in fake_providers.graph.seen if name in s.query.get("fields", [""])[0])
    assert "access_token" not in seen.query  # the token travels in a header, not in URL logs


async def test_graph_personal_or_missing_account_is_an_uncertain_not_found(fake_providers, make):
    with pytest.raises(AccountNotFound) as caught:
        await make(Platform.INSTAGRAM, ProviderName.INSTAGRAM_GRAPH).fetch(handle("ig"))
    assert caught.value.definitive is False


async def test_graph_bad_token_is_unauthorized(fake_providers, make):
    provider = make(Platform.INSTAGRAM, ProviderName.INSTAGRAM_GRAPH, INSTAGRAM_GRAPH_TOKEN="wrong")
    with pytest.raises(ProviderUnauthorized):
        await provider.fetch(handle("ig"))


async def test_graph_rate_limit_reports_when_access_returns(fake_providers, make):
    name = handle("ig")
    fake_providers.graph.add(name)
    fake_providers.graph.script(name, graph_fake.rate_limited(regain_minutes=30))
    with pytest.raises(RateLimited) as caught:
        await make(Platform.INSTAGRAM, ProviderName.INSTAGRAM_GRAPH).fetch(name)
    expected = datetime.now(UTC) + timedelta(minutes=30)
    assert abs((caught.value.retry_at - expected).total_seconds()) < 5
    assert fake_providers.graph.calls[name] == 1  # 30 minutes is not waited out in-request


# --- every provider: outages, unreadable answers, timeouts -----------------------------------

EVERY_PROVIDER = [
    (Platform.YOUTUBE, ProviderName.YOUTUBE, "youtube", 1_230_000),
    (Platform.TWITCH, ProviderName.HELIX, "twitch", 4200),
    (Platform.TWITTER, ProviderName.X, "x", 5100),
    (Platform.TIKTOK, ProviderName.RAPIDAPI, "tiktok", 427_682),
    (Platform.TWITTER, ProviderName.RAPIDAPI, "twitter241", 8800),
    (Platform.TWITCH, ProviderName.RAPIDAPI, "twitch_scraper", 15000),
    (Platform.INSTAGRAM, ProviderName.APIFY, "apify", 15925),
    (Platform.INSTAGRAM, ProviderName.INSTAGRAM_GRAPH, "graph", 267_793),
]
IDS = [f"{p.value.lower()}-{n.value}" for p, n, _, _ in EVERY_PROVIDER]


@pytest.mark.parametrize(("platform", "name", "fake", "followers"), EVERY_PROVIDER, ids=IDS)
async def test_a_5xx_then_success(fake_providers, make, platform, name, fake, followers):
    server = getattr(fake_providers, fake)
    account = handle("any")
    server.add(account)
    server.script(account, Reply(503, body=b"<html>503 Service Unavailable</html>"))
    provider = make(platform, name)
    if name is ProviderName.APIFY:  # a run may have started and is paid for: not repeated
        with pytest.raises(ProviderUnavailable):
            await provider.fetch(account)
        assert server.calls[account] == 1
        return
    assert (await provider.fetch(account)).followers == followers
    assert server.calls[account] == 2


@pytest.mark.parametrize(("platform", "name", "fake", "followers"), EVERY_PROVIDER, ids=IDS)
async def test_malformed_json_is_unavailable(fake_providers, make, platform, name, fake, followers):
    server = getattr(fake_providers, fake)
    account = handle("any")
    server.add(account)
    server.script(account, Reply(200, body=b'{"data": [{"id": "1", "trunc'))
    with pytest.raises(ProviderUnavailable, match="unreadable"):
        await make(platform, name).fetch(account)
    assert server.calls[account] == 1  # the same bytes again would cost quota for nothing


@pytest.mark.parametrize(("platform", "name", "fake", "followers"), EVERY_PROVIDER, ids=IDS)
async def test_a_timeout_is_unavailable(fake_providers, make, platform, name, fake, followers):
    server = getattr(fake_providers, fake)
    account = handle("any")
    server.add(account)
    server.script(account, Reply(delay=0.6, json={}), Reply(delay=0.6, json={}))
    provider = make(
        platform,
        name,
        PROVIDER_READ_TIMEOUT_SECONDS="0.15",
        PROVIDER_RETRY_ATTEMPTS="2",
        APIFY_TIMEOUT_SECONDS="0",  # Apify's read timeout is the run's plus the usual one
    )
    with pytest.raises(ProviderUnavailable, match="in time"):
        await provider.fetch(account)
    assert server.calls[account] == (1 if name is ProviderName.APIFY else 2)


async def test_twitch_app_token_is_renewed_shortly_before_it_expires(fake_providers, make):
    name = handle("tw")
    fake_providers.twitch.add(name)
    provider = make(Platform.TWITCH, ProviderName.HELIX)
    fake_providers.twitch.expires_in = 1  # renewed a tenth of its life early: after 0.9 s
    try:
        before = fake_providers.twitch.token_requests
        await provider.fetch(name)
        await provider.fetch(name)
        assert fake_providers.twitch.token_requests == before + 1
        await asyncio.sleep(0.95)
        await provider.fetch(name)
        assert fake_providers.twitch.token_requests == before + 2
    finally:
        fake_providers.twitch.expires_in = 5011271
