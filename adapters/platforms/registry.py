"""Builds each platform's providers from the settings: the operator's order of preference, kept
to the providers whose credentials are configured, all sharing the app's one HTTP client and
each with its own retry policy, circuit breaker and quota gate."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from adapters.cache import Cache
from adapters.metrics import Metrics
from adapters.platforms.apify_instagram import InstagramApifyProvider
from adapters.platforms.instagram_graph import InstagramGraphProvider
from adapters.platforms.lookup import PlatformLookup
from adapters.platforms.provider import Provider
from adapters.platforms.rapidapi_tiktok import TikTokRapidApiProvider
from adapters.platforms.rapidapi_twitch import TwitchRapidApiProvider
from adapters.platforms.rapidapi_twitter import TwitterRapidApiProvider
from adapters.platforms.resilience import CircuitBreaker, Guard, RetryPolicy
from adapters.platforms.twitch_helix import TwitchHelixProvider
from adapters.platforms.types import Platform, ProviderName
from adapters.platforms.x_api import XApiProvider
from adapters.platforms.youtube import YouTubeDataApiProvider
from settings import ProviderSettings

USER_AGENT = "creatorgraph/0.1 (+https://github.com/creatorgraph)"


def build_http_client(settings: ProviderSettings) -> httpx.AsyncClient:
    """The one client every provider shares (created and closed by the app's lifespan)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.read_timeout_seconds,
            connect=settings.connect_timeout_seconds,
            pool=settings.connect_timeout_seconds,
        ),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def build_providers(
    settings: ProviderSettings, http: httpx.AsyncClient
) -> dict[Platform, tuple[Provider, ...]]:
    def guard(name: ProviderName) -> Guard:
        return Guard(
            name,
            RetryPolicy(
                attempts=settings.retry_attempts,
                base_seconds=settings.retry_base_seconds,
                max_seconds=settings.retry_max_seconds,
                max_wait_seconds=settings.retry_after_max_seconds,
            ),
            CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds),
        )

    s = settings
    factories: Mapping[tuple[Platform, str], Callable[[], Provider]] = {
        (Platform.YOUTUBE, "youtube"): lambda: YouTubeDataApiProvider(
            http,
            guard(ProviderName.YOUTUBE),
            api_key=_(s.youtube_api_key),
            base_url=s.youtube_api_url,
        ),
        (Platform.TWITCH, "helix"): lambda: TwitchHelixProvider(
            http,
            guard(ProviderName.HELIX),
            client_id=_(s.twitch_client_id),
            client_secret=_(s.twitch_client_secret),
            api_url=s.twitch_api_url,
            auth_url=s.twitch_auth_url,
        ),
        (Platform.TWITTER, "x"): lambda: XApiProvider(
            http, guard(ProviderName.X), bearer_token=_(s.x_bearer_token), base_url=s.x_api_url
        ),
        (Platform.TIKTOK, "rapidapi"): lambda: TikTokRapidApiProvider(
            http,
            guard(ProviderName.RAPIDAPI),
            key=_(s.rapidapi_key),
            base_url=s.rapidapi_tiktok_url,
        ),
        (Platform.TWITTER, "rapidapi"): lambda: TwitterRapidApiProvider(
            http,
            guard(ProviderName.RAPIDAPI),
            key=_(s.rapidapi_key),
            base_url=s.rapidapi_twitter_url,
        ),
        (Platform.TWITCH, "rapidapi"): lambda: TwitchRapidApiProvider(
            http,
            guard(ProviderName.RAPIDAPI),
            key=_(s.rapidapi_key),
            base_url=s.rapidapi_twitch_url,
        ),
        (Platform.INSTAGRAM, "apify"): lambda: InstagramApifyProvider(
            http,
            guard(ProviderName.APIFY),
            token=_(s.apify_token),
            base_url=s.apify_api_url,
            run_timeout_seconds=s.apify_timeout_seconds,
        ),
        (Platform.INSTAGRAM, "instagram_graph"): lambda: InstagramGraphProvider(
            http,
            guard(ProviderName.INSTAGRAM_GRAPH),
            token=_(s.instagram_graph_token),
            user_id=_(s.instagram_graph_user_id),
            base_url=s.instagram_graph_url,
        ),
    }
    return {
        platform: tuple(factories[(platform, name)]() for name in s.providers_for(platform.value))
        for platform in Platform
    }


def _(credential: str | None) -> str:
    assert credential, "providers_for() only lists providers with credentials"
    return credential


def build_platform_lookup(
    settings: ProviderSettings,
    http: httpx.AsyncClient,
    cache: Cache,
    metrics: Metrics | None = None,
) -> PlatformLookup:
    return PlatformLookup(
        build_providers(settings, http),
        cache,
        cache_seconds=settings.cache_seconds,
        negative_cache_seconds=settings.negative_cache_seconds,
        error_cache_seconds=settings.error_cache_seconds,
        metrics=metrics,
    )
