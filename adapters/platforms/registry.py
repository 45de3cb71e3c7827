"""Builds each platform's providers from the settings: the operator's order of preference, kept
to the providers whose credentials are configured, all sharing the app's one HTTP client and
each with its own retry policy, circuit breaker and quota gate.

A credential setting may list several keys, comma-separated (``RAPIDAPI_KEY=k1,k2``): each key
becomes its own provider in the platform's chain, with its own quota gate, so when one key's
quota is spent the lookup moves on to the next key without spending a request on the first.
Keys are named by a short hash (``key_id``) wherever they must be told apart — never logged."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping

import httpx

from adapters.cache import Cache
from adapters.metrics import Metrics
from adapters.platforms.apify_instagram import InstagramApifyProvider
from adapters.platforms.demo import DemoProvider
from adapters.platforms.instagram_graph import InstagramGraphProvider
from adapters.platforms.lookup import PlatformLookup
from adapters.platforms.provider import Provider
from adapters.platforms.provider_state import ProviderState
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


def key_id(credential: str) -> str:
    """A key's name in logs and shared state: enough to tell keys apart, useless to an attacker."""
    return hashlib.sha256(credential.encode()).hexdigest()[:10]


def split_keys(credential: str | None) -> tuple[str, ...]:
    """``"k1, k2"`` → ``("k1", "k2")``: the keys of a setting, in the order they are spent."""
    return tuple(dict.fromkeys(k.strip() for k in (credential or "").split(",") if k.strip()))


def build_providers(
    settings: ProviderSettings, http: httpx.AsyncClient, state: ProviderState | None = None
) -> dict[Platform, tuple[Provider, ...]]:
    shared = state or ProviderState()

    def guard(name: ProviderName, credential: str) -> Guard:
        return Guard(
            name,
            RetryPolicy(
                attempts=settings.retry_attempts,
                base_seconds=settings.retry_base_seconds,
                max_seconds=settings.retry_max_seconds,
                max_wait_seconds=settings.retry_after_max_seconds,
            ),
            CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds),
            scope=f"{name.value}:{key_id(credential)}",
            state=shared,
        )

    s = settings
    # Each factory builds the provider for one key (the first credential of its setting).
    factories: Mapping[tuple[Platform, str], Callable[[str], Provider]] = {
        (Platform.YOUTUBE, "youtube"): lambda key: YouTubeDataApiProvider(
            http, guard(ProviderName.YOUTUBE, key), api_key=key, base_url=s.youtube_api_url
        ),
        (Platform.TWITCH, "helix"): lambda key: TwitchHelixProvider(
            http,
            guard(ProviderName.HELIX, key),
            client_id=key,
            client_secret=_(s.twitch_client_secret),
            api_url=s.twitch_api_url,
            auth_url=s.twitch_auth_url,
        ),
        (Platform.TWITTER, "x"): lambda key: XApiProvider(
            http, guard(ProviderName.X, key), bearer_token=key, base_url=s.x_api_url
        ),
        (Platform.TIKTOK, "rapidapi"): lambda key: TikTokRapidApiProvider(
            http, guard(ProviderName.RAPIDAPI, key), key=key, base_url=s.rapidapi_tiktok_url
        ),
        (Platform.TWITTER, "rapidapi"): lambda key: TwitterRapidApiProvider(
            http, guard(ProviderName.RAPIDAPI, key), key=key, base_url=s.rapidapi_twitter_url
        ),
        (Platform.TWITCH, "rapidapi"): lambda key: TwitchRapidApiProvider(
            http, guard(ProviderName.RAPIDAPI, key), key=key, base_url=s.rapidapi_twitch_url
        ),
        (Platform.INSTAGRAM, "apify"): lambda key: InstagramApifyProvider(
            http,
            guard(ProviderName.APIFY, key),
            token=key,
            base_url=s.apify_api_url,
            run_timeout_seconds=s.apify_timeout_seconds,
        ),
        (Platform.INSTAGRAM, "instagram_graph"): lambda key: InstagramGraphProvider(
            http,
            guard(ProviderName.INSTAGRAM_GRAPH, key),
            token=key,
            user_id=_(s.instagram_graph_user_id),
            base_url=s.instagram_graph_url,
        ),
    }
    # Made-up numbers for development: any platform, no credential, never in production.
    demo: Mapping[tuple[Platform, str], Callable[[str], Provider]] = {
        (platform, "demo"): functools.partial(_demo, platform) for platform in Platform
    }
    factories = {**factories, **demo}
    return {
        platform: tuple(
            factories[(platform, name)](key)
            for name in s.providers_for(platform.value)
            for key in _keys(s, name)
        )
        for platform in Platform
    }


def _demo(platform: Platform, _key: str) -> Provider:
    return DemoProvider(platform)


def _keys(settings: ProviderSettings, provider: str) -> tuple[str, ...]:
    """The provider's keys: several where the setting lists several (RAPIDAPI_KEY, APIFY_TOKEN,
    YOUTUBE_API_KEY, X_BEARER_TOKEN); one for the others, whose key is a pair of settings; the
    demo provider needs none and is built once."""
    if provider == "demo":
        return ("demo",)
    credential = {
        "youtube": settings.youtube_api_key,
        "x": settings.x_bearer_token,
        "rapidapi": settings.rapidapi_key,
        "apify": settings.apify_token,
    }.get(provider)
    if credential is not None:
        return split_keys(credential)
    single = {
        "helix": settings.twitch_client_id,
        "instagram_graph": settings.instagram_graph_token,
    }[provider]
    return (_(single),)


def _(credential: str | None) -> str:
    assert credential, "providers_for() only lists providers with credentials"
    return credential


def build_platform_lookup(
    settings: ProviderSettings,
    http: httpx.AsyncClient,
    cache: Cache,
    state: ProviderState | None = None,
    *,
    metrics: Metrics | None = None,
) -> PlatformLookup:
    return PlatformLookup(
        build_providers(settings, http, state),
        cache,
        cache_seconds=settings.cache_seconds,
        negative_cache_seconds=settings.negative_cache_seconds,
        error_cache_seconds=settings.error_cache_seconds,
        metrics=metrics,
    )
