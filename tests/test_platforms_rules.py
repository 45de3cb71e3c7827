"""The rules that need no network: handle parsing, the engagement formulas, rate-limit headers,
provider settings and the cache encoding of answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.platforms.engagement import (
    PostCounts,
    clamp_rate,
    instagram_engagement,
    round_rate,
    tiktok_engagement,
    twitch_engagement,
    x_engagement,
    youtube_engagement,
)
from adapters.platforms.errors import (
    AccountNotFound,
    ProviderError,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.handles import InvalidHandle, normalize_handle
from adapters.platforms.quota_periods import next_day_start, next_month_start
from adapters.platforms.ratelimits import (
    meta_usage,
    rapidapi_plan,
    retry_after,
    twitch_limits,
    x_limits,
)
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    EngagementMethod,
    Platform,
    PlatformProfile,
    ProviderName,
)
from adapters.platforms.x_api import next_period_start
from adapters.platforms.youtube import next_pacific_midnight
from resolvers.aggregates import average_engagement
from settings import ProviderSettings, SettingsError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("platform", "text", "expected"),
    [
        (Platform.TIKTOK, "charli", "charli"),
        (Platform.TIKTOK, "@Charli.D_Amelio", "charli.d_amelio"),
        (Platform.TIKTOK, "https://www.tiktok.com/@name", "name"),
        (Platform.TIKTOK, "https://www.tiktok.com/@name/video/7312?lang=en", "name"),
        (Platform.TIKTOK, "tiktok.com/@name", "name"),
        (Platform.TWITTER, "https://x.com/name", "name"),
        (Platform.TWITTER, "https://twitter.com/Jack/status/20", "jack"),
        (Platform.TWITTER, "@jack", "jack"),
        (Platform.YOUTUBE, "https://www.youtube.com/@name", "name"),
        (Platform.YOUTUBE, "https://m.youtube.com/@Some-Name.1/videos", "some-name.1"),
        (Platform.TWITCH, "https://www.twitch.tv/name", "name"),
        (Platform.TWITCH, "  Shroud ", "shroud"),
        (Platform.INSTAGRAM, "https://www.instagram.com/name/", "name"),
        (Platform.INSTAGRAM, "http://instagram.com/nat.geo?hl=en", "nat.geo"),
    ],
)
def test_handles_are_accepted_as_name_at_name_or_url(platform, text, expected):
    assert normalize_handle(platform, text) == expected


@pytest.mark.parametrize(
    ("platform", "text", "reason"),
    [
        (Platform.TIKTOK, "", "Enter a TikTok handle"),
        (Platform.TIKTOK, "x", "2 to 24 characters"),
        (Platform.TIKTOK, "ends.with.dot.", "uses only"),
        (Platform.TIKTOK, "https://www.tiktok.com/name", "does not name a profile"),
        (Platform.TWITTER, "sixteen_chars_xx", "1 to 15 characters"),
        (Platform.TWITTER, "dots.not.ok", "uses only"),
        (Platform.TWITTER, "https://x.com/home", "does not name a profile"),
        (Platform.TWITTER, "https://www.instagram.com/name/", "That is an Instagram link"),
        (Platform.TWITCH, "abc", "4 to 25 characters"),
        (Platform.TWITCH, "_leading", "not starting with an underscore"),
        (Platform.YOUTUBE, "ab", "3 to 30 characters"),
        (Platform.YOUTUBE, "https://www.youtube.com/watch?v=abc", "does not name a profile"),
        (Platform.INSTAGRAM, ".dot", "not first, last or twice"),
        (Platform.INSTAGRAM, "a..b", "not first, last or twice"),
        (Platform.INSTAGRAM, "https://www.instagram.com/p/Cxyz/", "does not name a profile"),
        (Platform.INSTAGRAM, "https://evil.example/name", "not an Instagram profile URL"),
        (Platform.INSTAGRAM, "ftp://instagram.com/name", "not an Instagram profile URL"),
        (Platform.INSTAGRAM, "a" * 400, "too long"),
        (Platform.INSTAGRAM, "name\x00", "uses only"),
    ],
)
def test_impossible_handles_are_refused_with_a_reason(platform, text, reason):
    with pytest.raises(InvalidHandle, match=reason):
        normalize_handle(platform, text)


def test_engagement_formulas_per_platform():
    ig = instagram_engagement(1000, [PostCounts(90, 10), PostCounts(45, 5), PostCounts(-1, 3)])
    assert (ig.rate, ig.method, ig.sample_size) == (
        7.5,
        EngagementMethod.LIKES_COMMENTS_PER_FOLLOWER,
        2,
    )
    yt = youtube_engagement([PostCounts(50, 10, 1000), PostCounts(None, 5, 1000)])
    assert (yt.rate, yt.method, yt.sample_size) == (
        6.0,
        EngagementMethod.LIKES_COMMENTS_PER_VIEW,
        1,
    )
    tt = tiktok_engagement(followers=1000, hearts=50_000, videos=100)
    assert (tt.rate, tt.method) == (50.0, EngagementMethod.HEARTS_PER_VIDEO_PER_FOLLOWER)
    assert twitch_engagement() == Engagement(None, EngagementMethod.NOT_AVAILABLE, None)
    assert x_engagement().rate is None


@pytest.mark.parametrize(
    ("rate", "rounded"),
    [(2.675, 2.68), (0.125, 0.13), (1.005, 1.01), (2.665, 2.67), (2.674, 2.67), (0.0, 0.0)],
)
def test_engagement_rounds_half_up_like_the_profile_average(rate: float, rounded: float):
    """``round()`` gives 2.67, 0.12 and 1.0 for the first three; a provider's rate and the
    profile's average of that one rate must agree."""
    assert round_rate(rate) == rounded
    assert average_engagement([rate]) == rounded
    assert clamp_rate(rate) == rounded


def test_a_provider_rate_on_a_rounding_tie_rounds_up():
    # 2675 hearts on 1 video for 100,000 followers is 2.675%.
    assert tiktok_engagement(followers=100_000, hearts=2675, videos=1).rate == 2.68


def test_engagement_is_clamped_and_not_available_without_data():
    assert tiktok_engagement(followers=10, hearts=10_000, videos=1).rate == 100.0
    assert clamp_rate(-3) == 0.0 and clamp_rate(12.3456) == 12.35
    assert tiktok_engagement(followers=0, hearts=10, videos=1).rate is None
    assert tiktok_engagement(followers=10, hearts=10, videos=0).rate is None
    assert instagram_engagement(1000, []).method is EngagementMethod.NOT_AVAILABLE
    assert instagram_engagement(None, [PostCounts(1, 1)]).rate is None
    assert youtube_engagement([PostCounts(5, 1, 0)]).rate is None


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after({"retry-after": "30"}, NOW) == NOW + timedelta(seconds=30)
    assert retry_after({"retry-after": "Sun, 22 Nov 2026 12:05:00 GMT"}, NOW) == NOW + timedelta(
        minutes=5
    )
    assert retry_after({"retry-after": "soon"}, NOW) is None
    assert retry_after({}, NOW) is None


def test_rate_limit_headers_of_each_provider():
    epoch = int((NOW + timedelta(seconds=60)).timestamp())
    twitch = twitch_limits(
        {"ratelimit-limit": "800", "ratelimit-remaining": "0", "ratelimit-reset": str(epoch)}, NOW
    )
    assert (twitch.limit, twitch.remaining, twitch.exhausted) == (800, 0, True)
    assert twitch.reset_at == NOW + timedelta(seconds=60)
    x = x_limits({"x-rate-limit-remaining": "12", "x-rate-limit-reset": str(epoch)}, NOW)
    assert x.remaining == 12 and not x.exhausted and x.reset_at == NOW + timedelta(seconds=60)
    plan = rapidapi_plan(
        {"x-ratelimit-requests-remaining": "0", "x-ratelimit-requests-reset": "3600"}, NOW
    )
    assert plan.exhausted and plan.reset_at == NOW + timedelta(hours=1)
    junk = x_limits({"x-rate-limit-remaining": "lots", "x-rate-limit-reset": "-1"}, NOW)
    assert junk.remaining is None and junk.reset_at is None
    usage = meta_usage(
        {
            "x-app-usage": '{"call_count": 45, "total_cputime": 3, "total_time": 7}',
            "x-business-use-case-usage": '{"1": [{"type": "instagram", "call_count": 101, '
            '"total_cputime": 1, "total_time": 1, "estimated_time_to_regain_access": 12}]}',
        },
        NOW,
    )
    assert usage.max_percent == 101 and usage.regain_at == NOW + timedelta(minutes=12)
    assert meta_usage({"x-app-usage": "{not json"}, NOW).max_percent is None


def test_quota_resets():
    assert next_pacific_midnight(NOW) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert next_period_start(NOW, "Monthly") == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_period_start(datetime(2026, 12, 31, 23, tzinfo=UTC), None) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert next_period_start(NOW, "Daily") == datetime(2026, 11, 23, tzinfo=UTC)


def test_monthly_quota_resets_on_the_first_of_the_next_utc_month():
    assert next_month_start(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)) == datetime(
        2026, 2, 1, tzinfo=UTC
    )
    assert next_month_start(datetime(2028, 2, 29, 12, tzinfo=UTC)) == datetime(
        2028, 3, 1, tzinfo=UTC
    )
    assert next_month_start(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    # The first instant of a month is already in it: the reset is the month after.
    assert next_month_start(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


def test_quota_periods_follow_utc_not_the_callers_time_zone():
    new_york = timezone(timedelta(hours=-5))
    # 20:00 on 30 November in New York is already 1 December in UTC.
    late_november = datetime(2026, 11, 30, 20, tzinfo=new_york)
    assert next_month_start(late_november) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_day_start(late_november) == datetime(2026, 12, 2, tzinfo=UTC)
    # 00:30 on 1 January in Berlin is still 31 December in UTC.
    berlin_new_year = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert next_month_start(berlin_new_year) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_day_start(berlin_new_year) == datetime(2027, 1, 1, tzinfo=UTC)


def test_provider_settings_default_to_the_real_services_and_need_credentials():
    settings = ProviderSettings.from_env({})
    assert settings.youtube_api_url == "https://www.googleapis.com/youtube/v3"
    assert settings.twitch_api_url == "https://api.twitch.tv/helix"
    assert settings.twitch_auth_url == "https://id.twitch.tv/oauth2"
    assert settings.x_api_url == "https://api.x.com/2"
    assert settings.rapidapi_tiktok_url == "https://tiktok-api23.p.rapidapi.com"
    assert settings.apify_api_url == "https://api.apify.com/v2"
    assert settings.instagram_graph_url == "https://graph.facebook.com/v25.0"
    assert settings.cache_seconds == 300 and settings.refresh_rate_limit == "3/hour"
    assert all(settings.providers_for(p.value) == () for p in Platform)  # manual only
    half = ProviderSettings.from_env({"TWITCH_CLIENT_ID": "id", "INSTAGRAM_GRAPH_TOKEN": "t"})
    assert half.providers_for("TWITCH") == () and half.providers_for("INSTAGRAM") == ()


def test_provider_preferences_are_validated_per_platform():
    env = {"RAPIDAPI_KEY": "k", "X_BEARER_TOKEN": "t", "TWITTER_PROVIDERS": " RapidAPI, x,x "}
    assert ProviderSettings.from_env(env).providers_for("TWITTER") == ("rapidapi", "x")
    with pytest.raises(SettingsError, match="TIKTOK_PROVIDERS may list only rapidapi"):
        ProviderSettings.from_env({"TIKTOK_PROVIDERS": "youtube"})
    with pytest.raises(SettingsError, match="PROVIDER_READ_TIMEOUT_SECONDS"):
        ProviderSettings.from_env({"PROVIDER_READ_TIMEOUT_SECONDS": "-1"})


def test_answers_survive_the_cache_encoding():
    profile = PlatformProfile(
        platform=Platform.YOUTUBE,
        handle="name",
        platform_user_id="UC1",
        display_name="Name",
        avatar_url=None,
        bio=None,
        verified=None,
        followers=None,
        following=None,
        content_count=12,
        total_likes=None,
        total_views=2**40,
        engagement=Engagement(4.2, EngagementMethod.LIKES_COMMENTS_PER_VIEW, 30),
        precision=CountPrecision.HIDDEN,
        provider=ProviderName.YOUTUBE,
        fetched_at=NOW,
    )
    assert PlatformProfile.from_json(profile.to_json()) == profile
    for error in (
        AccountNotFound("gone", provider=ProviderName.INSTAGRAM_GRAPH, definitive=False),
        QuotaExhausted("spent", provider=ProviderName.X, retry_at=NOW),
        RateLimited("busy", provider=ProviderName.HELIX, retry_at=NOW),
    ):
        back = ProviderError.from_json(error.to_json())
        assert type(back) is type(error) and back.message == error.message
        assert back.provider is error.provider and back.retry_at == error.retry_at
        assert back.about_the_account == error.about_the_account
