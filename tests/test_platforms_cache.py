"""The cache in front of the providers, on memory and on Redis: hits, TTLs, the shorter negative
cache, single-flight within one process and across instances, forced refresh, and the choice of
provider (preference order, fallback on terminal failures, manual-only platforms)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest

from adapters.cache import Cache
from adapters.platforms.errors import (
    AccountNotFound,
    PlatformNotConfigured,
    ProviderUnavailable,
    QuotaExhausted,
)
from adapters.platforms.lookup import PlatformLookup
from adapters.platforms.registry import build_http_client, build_platform_lookup
from adapters.platforms.resilience import CircuitBreaker, RetryPolicy
from adapters.platforms.types import Platform, ProviderName
from resolvers.platforms import capabilities
from tests.conftest import uses_redis
from tests.fakes import FakeProviders, Reply
from tests.fakes import rapidapi as rapid_fake
from tests.fakes import x as x_fake

BACKENDS = ["memory", "redis"]


def handle(prefix: str = "c") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def new_cache(backend: str, lock_seconds: float = 5.0) -> Cache:
    if backend == "redis":
        if not uses_redis():
            pytest.skip("REDIS_URL not set")
        return Cache.from_url(os.environ["REDIS_URL"], f"test-{uuid.uuid4().hex[:8]}", lock_seconds)
    return Cache.memory(f"test-{uuid.uuid4().hex[:8]}")


def same_namespace(first: Cache) -> Cache:
    """A second instance's cache over the same Redis namespace (another app instance)."""
    return Cache.from_url(os.environ["REDIS_URL"], first.backend.namespace, first.lock_seconds)


@pytest.fixture
async def http(fake_providers: FakeProviders) -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(fake_providers.settings())
    yield client
    await client.aclose()


# --- the cache itself ------------------------------------------------------------------------


class CountingLoader:
    def __init__(self, value: bytes = b"v", ttl: float = 60.0, delay: float = 0.1) -> None:
        self.calls = 0
        self.value, self.ttl, self.delay = value, ttl, delay

    async def __call__(self) -> tuple[bytes, float]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.value + str(self.calls).encode(), self.ttl


@pytest.mark.parametrize("backend", BACKENDS)
async def test_100_concurrent_misses_make_one_load(backend):
    cache = new_cache(backend)
    load = CountingLoader()
    try:
        values = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(100)))
        assert load.calls == 1 and set(values) == {b"v1"}
        assert await cache.get_or_load("k", load) == b"v1"  # now a hit
        assert load.calls == 1
    finally:
        await cache.close()


async def test_100_concurrent_misses_across_two_instances_make_one_load():
    first = new_cache("redis")
    second = same_namespace(first)
    load = CountingLoader(delay=0.2)
    try:
        values = await asyncio.gather(
            *(cache.get_or_load("k", load) for cache in (first, second) * 50)
        )
        assert load.calls == 1 and set(values) == {b"v1"}
    finally:
        await first.close()
        await second.close()


async def test_a_lock_left_by_a_dead_instance_delays_at_most_the_lock_lifetime():
    cache = new_cache("redis", lock_seconds=0.3)
    load = CountingLoader(delay=0)
    try:
        # another instance took the lock and died before storing anything
        await cache.backend.add("k:lock", b"someone-else", ttl=10.0)
        started = asyncio.get_running_loop().time()
        assert await cache.get_or_load("k", load) == b"v1"
        assert 0.25 < asyncio.get_running_loop().time() - started < 2
        assert load.calls == 1
    finally:
        await cache.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_values_expire_after_their_ttl(backend):
    cache = new_cache(backend)
    load = CountingLoader(ttl=0.2, delay=0)
    try:
        assert await cache.get_or_load("k", load) == b"v1"
        assert await cache.get_or_load("k", load) == b"v1"
        await asyncio.sleep(0.35)
        assert await cache.get_or_load("k", load) == b"v2"
    finally:
        await cache.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_refresh_bypasses_the_cached_value(backend):
    cache = new_cache(backend)
    load = CountingLoader(delay=0)
    try:
        assert await cache.get_or_load("k", load) == b"v1"
        assert await cache.get_or_load("k", load, refresh=True) == b"v2"
        assert await cache.get_or_load("k", load) == b"v2"
    finally:
        await cache.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_failing_load_reaches_every_waiter_and_is_not_cached(backend):
    cache = new_cache(backend)
    calls = 0

    async def failing() -> tuple[bytes, float]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        raise RuntimeError("boom")

    try:
        results = await asyncio.gather(
            *(cache.get_or_load("k", failing) for _ in range(10)), return_exceptions=True
        )
        assert calls == 1 and all(isinstance(r, RuntimeError) for r in results)
        assert await cache.get("k") is None
    finally:
        await cache.close()


async def test_one_caller_giving_up_does_not_cancel_the_others():
    cache = new_cache("memory")
    load = CountingLoader(delay=0.2)
    try:
        impatient = asyncio.create_task(cache.get_or_load("k", load))
        patient = asyncio.create_task(cache.get_or_load("k", load))
        await asyncio.sleep(0.05)
        impatient.cancel()
        assert await patient == b"v1"
    finally:
        await cache.close()


# --- the platform lookup in front of the providers -------------------------------------------


def lookup_over(fakes: FakeProviders, http: httpx.AsyncClient, cache: Cache, **env: str):
    return build_platform_lookup(fakes.settings(**env), http, cache)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_profile_is_cached_per_platform_and_handle(fake_providers, http, backend):
    cache = new_cache(backend)
    name = handle("tt")
    fake_providers.tiktok.add(name)
    lookup = lookup_over(fake_providers, http, cache)
    try:
        first = await lookup.lookup(Platform.TIKTOK, name)
        second = await lookup.lookup(Platform.TIKTOK, name)
        assert first == second and fake_providers.tiktok.calls[name] == 1
        refreshed = await lookup.lookup(Platform.TIKTOK, name, refresh=True)
        assert fake_providers.tiktok.calls[name] == 2
        assert refreshed.fetched_at > first.fetched_at
    finally:
        await cache.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_not_found_is_cached_for_the_shorter_negative_ttl(fake_providers, http, backend):
    cache = new_cache(backend)
    missing, present = handle("tt"), handle("tt")
    fake_providers.tiktok.add(present)
    lookup = lookup_over(
        fake_providers,
        http,
        cache,
        PLATFORM_CACHE_SECONDS="30",
        PLATFORM_NEGATIVE_CACHE_SECONDS="0.3",
    )
    try:
        for _ in range(3):
            with pytest.raises(AccountNotFound):
                await lookup.lookup(Platform.TIKTOK, missing)
            await lookup.lookup(Platform.TIKTOK, present)
        assert fake_providers.tiktok.calls[missing] == 1
        await asyncio.sleep(0.45)
        fake_providers.tiktok.add(missing)  # the creator just signed up
        assert (await lookup.lookup(Platform.TIKTOK, missing)).handle == missing
        await lookup.lookup(Platform.TIKTOK, present)
        assert fake_providers.tiktok.calls[missing] == 2
        assert fake_providers.tiktok.calls[present] == 1
    finally:
        await cache.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_100_concurrent_lookups_of_one_handle_make_one_upstream_call(
    fake_providers, http, backend
):
    cache = new_cache(backend)
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.delays[name] = 0.2
    lookup = lookup_over(fake_providers, http, cache)
    try:
        results = await asyncio.gather(*(lookup.lookup(Platform.TIKTOK, name) for _ in range(100)))
        assert {r.followers for r in results} == {427_682}
        assert fake_providers.tiktok.calls[name] == 1
    finally:
        await cache.close()


async def test_100_lookups_spread_over_two_instances_make_one_upstream_call(fake_providers, http):
    first = new_cache("redis")
    second = same_namespace(first)
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.delays[name] = 0.2
    instances = [lookup_over(fake_providers, http, c) for c in (first, second)]
    try:
        results = await asyncio.gather(
            *(instances[i % 2].lookup(Platform.TIKTOK, name) for i in range(100))
        )
        assert {r.followers for r in results} == {427_682}
        assert fake_providers.tiktok.calls[name] == 1
    finally:
        await first.close()
        await second.close()


async def test_a_concurrent_failure_is_shared_not_repeated(fake_providers, http):
    cache = new_cache("memory")
    name = handle("tt")
    fake_providers.tiktok.script(name, Reply(200, body=b"<html>oops</html>", delay=0.1))
    lookup = lookup_over(fake_providers, http, cache)
    try:
        results = await asyncio.gather(
            *(lookup.lookup(Platform.TIKTOK, name) for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(r, ProviderUnavailable) for r in results)
        assert fake_providers.tiktok.calls[name] == 1
    finally:
        await cache.close()


async def test_the_next_provider_answers_when_the_first_is_out_of_quota(fake_providers, http):
    cache = new_cache("memory")
    name = handle("x")
    fake_providers.x.add(name)
    fake_providers.twitter241.add(name, followers=8801)
    fake_providers.x.script(name, x_fake.usage_capped())
    lookup = lookup_over(fake_providers, http, cache)
    try:
        profile = await lookup.lookup(Platform.TWITTER, name)
        assert profile.provider is ProviderName.RAPIDAPI and profile.followers == 8801
        assert fake_providers.x.calls[name] == 1
    finally:
        await cache.close()


async def test_instagram_falls_back_to_apify_for_a_personal_account(fake_providers, http):
    cache = new_cache("memory")
    name = handle("ig")
    fake_providers.apify.add(name, followers=321)  # personal: the Graph API cannot see it
    lookup = lookup_over(fake_providers, http, cache)
    try:
        profile = await lookup.lookup(Platform.INSTAGRAM, name)
        assert profile.provider is ProviderName.APIFY and profile.followers == 321
        assert fake_providers.graph.calls[name] == 1
    finally:
        await cache.close()


async def test_a_definitive_not_found_does_not_ask_the_next_provider(fake_providers, http):
    cache = new_cache("memory")
    name = handle("x")
    lookup = lookup_over(fake_providers, http, cache)
    try:
        with pytest.raises(AccountNotFound):
            await lookup.lookup(Platform.TWITTER, name)
        assert fake_providers.x.calls[name] == 1
        assert fake_providers.twitter241.calls[name] == 0
    finally:
        await cache.close()


async def test_when_every_provider_fails_the_first_real_problem_is_reported(fake_providers, http):
    cache = new_cache("memory")
    name = handle("ig")
    fake_providers.apify.script(name, Reply(502, body=b"Bad Gateway"))
    lookup = lookup_over(fake_providers, http, cache)
    try:
        # Graph: "not a business account (or missing)"; Apify: down. The outage is the news.
        with pytest.raises(ProviderUnavailable) as caught:
            await lookup.lookup(Platform.INSTAGRAM, name)
        assert caught.value.provider is ProviderName.APIFY
    finally:
        await cache.close()


async def test_the_preference_order_comes_from_the_settings(fake_providers, http):
    cache = new_cache("memory")
    name = handle("tw")
    fake_providers.twitch.add(name, followers=1)
    fake_providers.twitch_scraper.add(name, followers=2)
    lookup = lookup_over(fake_providers, http, cache, TWITCH_PROVIDERS="rapidapi,helix")
    try:
        assert lookup.provider_names(Platform.TWITCH) == (
            ProviderName.RAPIDAPI,
            ProviderName.HELIX,
        )
        assert (await lookup.lookup(Platform.TWITCH, name)).followers == 2
    finally:
        await cache.close()


async def test_a_platform_without_credentials_is_manual_only(fake_providers, http):
    cache = new_cache("memory")
    lookup = lookup_over(
        fake_providers, http, cache, TWITCH_CLIENT_ID="", RAPIDAPI_KEY="", YOUTUBE_PROVIDERS=""
    )
    try:
        assert not lookup.configured(Platform.TWITCH) and not lookup.configured(Platform.TIKTOK)
        assert lookup.provider_names(Platform.TWITTER) == (ProviderName.X,)
        with pytest.raises(PlatformNotConfigured):
            await lookup.lookup(Platform.TWITCH, "somebody")
        by_platform = {c.platform.value: c for c in capabilities(SimpleNamespace(platforms=lookup))}
        assert not by_platform["TWITCH"].provider_fetch
        assert by_platform["TWITCH"].summary.startswith("Manual entry only")
        assert not by_platform["YOUTUBE"].provider_fetch
        assert by_platform["INSTAGRAM"].providers == (
            ProviderName.INSTAGRAM_GRAPH,
            ProviderName.APIFY,
        )
        assert all(c.manual and not c.oauth for c in by_platform.values())
    finally:
        await cache.close()


async def test_quota_exhaustion_skips_the_provider_for_other_handles_too(fake_providers, http):
    cache = new_cache("memory")
    first, second = handle("tt"), handle("tt")
    fake_providers.tiktok.add(first)
    fake_providers.tiktok.add(second)
    fake_providers.tiktok.script(first, rapid_fake.monthly_quota(reset_seconds=600))
    lookup = lookup_over(fake_providers, http, cache)
    try:
        with pytest.raises(QuotaExhausted):
            await lookup.lookup(Platform.TIKTOK, first)
        with pytest.raises(QuotaExhausted):
            await lookup.lookup(Platform.TIKTOK, second)
        assert fake_providers.tiktok.calls[second] == 0
    finally:
        await cache.close()


# --- retries and the circuit breaker ---------------------------------------------------------


def test_backoff_is_full_jitter_bounded_and_honours_retry_after():
    policy = RetryPolicy(attempts=5, base_seconds=0.5, max_seconds=2.0, max_wait_seconds=10)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 2.0)]:
        delays = [policy.delay(attempt, None) for _ in range(200)]
        assert all(d is not None and 0 <= d <= cap for d in delays)
        assert max(d for d in delays if d is not None) > cap / 2  # spread, not fixed
    assert all((policy.delay(1, 3.0) or 0) >= 3.0 for _ in range(50))
    assert policy.delay(1, 11.0) is None  # too long to wait in-request
    assert policy.delay(5, None) is None  # attempts are bounded


def test_circuit_breaker_opens_then_lets_one_probe_through():
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, reset_seconds=10, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    assert breaker.seconds_until_probe() is None  # still closed
    breaker.record_failure()
    assert breaker.seconds_until_probe() == 10
    now[0] = 10.5
    assert breaker.seconds_until_probe() is None  # the probe
    assert breaker.seconds_until_probe() is not None  # only one at a time
    breaker.record_failure()  # the probe failed: open again
    now[0] = 15
    assert breaker.seconds_until_probe() is not None
    now[0] = 21
    assert breaker.seconds_until_probe() is None
    breaker.record_success()
    assert breaker.seconds_until_probe() is None and not breaker.is_open


async def test_a_provider_that_keeps_failing_is_rested_then_probed(fake_providers, http):
    cache = new_cache("memory")
    lookup = lookup_over(
        fake_providers,
        http,
        cache,
        PROVIDER_BREAKER_FAILURES="2",
        PROVIDER_BREAKER_RESET_SECONDS="0.3",
        PROVIDER_RETRY_ATTEMPTS="1",
        PLATFORM_ERROR_CACHE_SECONDS="0",
    )
    down = [handle("yt") for _ in range(3)]
    for name in down:
        fake_providers.youtube.add(name)
        fake_providers.youtube.script(name, Reply(503, body=b"down"))
    try:
        for name in down[:2]:
            with pytest.raises(ProviderUnavailable):
                await lookup.lookup(Platform.YOUTUBE, name)
        with pytest.raises(ProviderUnavailable, match="rest") as caught:
            await lookup.lookup(Platform.YOUTUBE, down[2])
        assert caught.value.retry_at is not None
        assert fake_providers.youtube.calls[down[2]] == 0  # not hammered
        await asyncio.sleep(0.35)
        healthy = handle("yt")
        fake_providers.youtube.add(healthy)
        assert (await lookup.lookup(Platform.YOUTUBE, healthy)).followers == 1_230_000
    finally:
        await cache.close()


def test_lookup_keeps_one_chain_per_platform():
    lookup = PlatformLookup({}, Cache.memory())
    assert all(lookup.provider_names(p) == () for p in Platform)


async def test_an_unreachable_redis_degrades_to_uncached_lookups():
    cache = Cache.from_url("redis://127.0.0.1:1/0", "down", lock_seconds=1)  # nothing listens
    load = CountingLoader(delay=0)
    try:
        assert await cache.get_or_load("k", load) == b"v1"
        assert await cache.get_or_load("k", load) == b"v2"  # no cache, but no failure either
        assert await cache.get("k") is None
    finally:
        await cache.close()
