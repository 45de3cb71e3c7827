"""The small adapters behind their interfaces: broker and rate limiter."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from adapters.broker import InProcessBroker, SubscriberDropped
from adapters.ratelimit import RateLimiter
from tests.conftest import uses_redis


async def test_broker_delivers_to_every_subscriber_of_a_topic():
    broker = InProcessBroker()
    async with (
        broker.subscribe("t") as first,
        broker.subscribe("t") as second,
        broker.subscribe("other") as other,
    ):
        await broker.publish("t", b"hello")
        assert await asyncio.wait_for(anext(first), 1) == b"hello"
        assert await asyncio.wait_for(anext(second), 1) == b"hello"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(other), 0.05)


async def test_a_slow_subscriber_is_dropped_without_holding_up_others():
    broker = InProcessBroker(queue_size=4)
    async with broker.subscribe("t") as slow, broker.subscribe("t") as fast:
        for i in range(10):
            await broker.publish("t", str(i).encode())
            assert await asyncio.wait_for(anext(fast), 1) == str(i).encode()
        with pytest.raises(SubscriberDropped):
            for _ in range(10):
                await asyncio.wait_for(anext(slow), 1)


async def test_leaving_a_subscription_unsubscribes():
    broker = InProcessBroker()
    async with broker.subscribe("t"):
        pass
    await broker.publish("t", b"nobody listens")  # must not raise or grow anything
    assert broker._subscribers == {}


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_rate_limiter_allows_the_rate_then_says_when_to_retry(backend):
    if backend == "redis" and not uses_redis():
        pytest.skip("REDIS_URL not set")
    import os

    limiter = RateLimiter.from_url(
        "3/minute",
        os.environ.get("REDIS_URL") if backend == "redis" else None,
        f"test-{uuid.uuid4().hex[:8]}",
    )
    assert [await limiter.hit("k") for _ in range(3)] == [None, None, None]
    retry = await limiter.hit("k")
    assert retry is not None and 1 <= retry <= 60
    assert await limiter.hit("another-key") is None


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_rate_limiter_holds_every_limit_and_says_the_longest_wait(backend):
    if backend == "redis" and not uses_redis():
        pytest.skip("REDIS_URL not set")
    import os

    limiter = RateLimiter.from_url(
        "3/day;2/second",  # written longest first: the short window still guards the day
        os.environ.get("REDIS_URL") if backend == "redis" else None,
        f"test-{uuid.uuid4().hex[:8]}",
    )
    assert [await limiter.hit("k") for _ in range(2)] == [None, None]
    assert await limiter.hit("k") == 1  # the burst waits for the second, not the day
    await asyncio.sleep(1.1)
    # The refused burst did not count against the day: its third use is still allowed.
    assert await limiter.hit("k") is None
    day_wait = await limiter.hit("k")
    assert day_wait is not None and 23 * 3600 < day_wait <= 24 * 3600
