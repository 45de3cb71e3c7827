"""The Redis broker against a real Redis: across brokers, after a reconnect, with a slow
subscriber, and namespaced by database."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from adapters.broker import SubscriberDropped
from adapters.redis_broker import RedisBroker
from tests.conftest import uses_redis

pytestmark = pytest.mark.skipif(not uses_redis(), reason="needs REDIS_URL")


def topic() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def clients() -> AsyncIterator[list[redis.Redis]]:
    made: list[redis.Redis] = []
    yield made
    for client in made:
        await client.aclose()


def client(made: list[redis.Redis], url: str | None = None, **options) -> redis.Redis:
    made.append(redis.from_url(url or os.environ["REDIS_URL"], **options))
    return made[-1]


async def test_an_event_published_by_one_broker_reaches_another(clients):
    first, second = RedisBroker(client(clients)), RedisBroker(client(clients))
    name = topic()
    try:
        async with first.subscribe(name) as events, second.subscribe(name) as own:
            await second.publish(name, b"hello")
            assert await asyncio.wait_for(anext(events), 2) == b"hello"
            assert await asyncio.wait_for(anext(own), 2) == b"hello"
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("library_retries", [False, True])
async def test_the_broker_subscribes_again_after_its_connection_drops(clients, library_retries):
    """With redis-py's own retries off, the broker's reader reconnects and subscribes again; with
    them on, either layer may; in both cases events flow again."""
    name = f"broker-test-{uuid.uuid4().hex[:8]}"
    options = {} if library_retries else {"retry": Retry(NoBackoff(), 0)}
    broker = RedisBroker(client(clients, client_name=name, **options))
    admin = client(clients)
    subject = topic()
    try:
        async with broker.subscribe(subject) as events:
            received: asyncio.Queue[bytes] = asyncio.Queue()
            reader = asyncio.create_task(drain(events, received))
            killed = 0
            for entry in await admin.client_list(_type="pubsub"):
                if entry.get("name") == name:
                    killed += await admin.client_kill_filter(_id=entry["id"])
            assert killed == 1
            # Publish until the resubscribed connection hears it (what was sent meanwhile is
            # lost, as with any pub/sub).
            async with asyncio.timeout(10):
                while True:
                    await admin.publish(f"creatorgraph:{db_of(admin)}:{subject}", b"again")
                    try:
                        assert await asyncio.wait_for(received.get(), 0.2) == b"again"
                        break
                    except TimeoutError:
                        continue
            reader.cancel()
        if not library_retries:
            assert broker.reconnects >= 1
    finally:
        await broker.close()


async def drain(events: AsyncIterator[bytes], into: asyncio.Queue[bytes]) -> None:
    async for event in events:
        into.put_nowait(event)


def db_of(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs.get("db", 0))


async def test_a_slow_subscriber_is_dropped_and_the_others_keep_up(clients):
    broker = RedisBroker(client(clients), queue_size=4)
    name = topic()
    try:
        async with broker.subscribe(name) as slow, broker.subscribe(name) as fast:
            for i in range(10):
                await broker.publish(name, str(i).encode())
                assert await asyncio.wait_for(anext(fast), 2) == str(i).encode()
            with pytest.raises(SubscriberDropped):
                for _ in range(10):
                    await asyncio.wait_for(anext(slow), 2)
    finally:
        await broker.close()


async def test_channels_are_namespaced_by_database(clients):
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    here = RedisBroker(client(clients, f"{base}/14"))
    there = RedisBroker(client(clients, f"{base}/15"))
    name = topic()
    try:
        async with here.subscribe(name) as events:
            await there.publish(name, b"other database")
            await here.publish(name, b"same database")
            assert await asyncio.wait_for(anext(events), 2) == b"same database"
    finally:
        await here.close()
        await there.close()
