"""Redis away: limits and the query budget count in process, events are dropped rather than
failing a committed write, and a Redis that stopped answering costs one short timeout, not one
per request. No Redis server needed: a closed port and a silent one stand in for a dead
Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from adapters.broker import BestEffortBroker, InProcessBroker
from adapters.metrics import Metrics
from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from adapters.redis_circuit import RedisCircuit
from tests.conftest import free_port


def dead_redis(port: int | None = None) -> Redis:
    """A client with the app's options (app.py's lifespan), a shorter timeout."""
    return Redis(
        port=port or free_port(),
        socket_timeout=0.2,
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 1),
    )


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: a stalled Redis behind a live socket."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(1024):
                pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_sign_in_limits_count_in_process_while_redis_is_unreachable():
    circuit = RedisCircuit(retry_seconds=5)
    client = dead_redis()
    limiter = RateLimiter("2/minute", client, "sign-in", circuit=circuit)
    try:
        assert await limiter.hit("someone@example.com") is None
        assert await limiter.hit("someone@example.com") is None
        retry_after = await limiter.hit("someone@example.com")
    finally:
        await client.aclose()
    assert retry_after is not None and retry_after >= 1
    assert circuit.down


async def test_query_budget_is_kept_in_process_while_redis_is_unreachable():
    client = dead_redis()
    budget = QueryBudget("100/minute", client, circuit=RedisCircuit())
    try:
        assert (await budget.spend("127.0.0.1", 60)).allowed
        refused = await budget.spend("127.0.0.1", 60)
    finally:
        await client.aclose()
    assert not refused.allowed and refused.retry_after >= 1


async def test_a_stalled_redis_costs_one_short_timeout_then_nothing():
    async with silent_server() as port:
        circuit = RedisCircuit(retry_seconds=30)
        client = dead_redis(port)
        limiter = RateLimiter("100/minute", client, "sync", circuit=circuit)
        try:
            started = time.perf_counter()
            assert await limiter.hit("user:1") is None
            first = time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(20):
                assert await limiter.hit("user:1") is None
            next_twenty = time.perf_counter() - started
        finally:
            await client.aclose()
    assert first < 1.0  # two socket timeouts (0.2 s), not redis-py's back-off
    assert next_twenty < 0.1  # the circuit is open: Redis is not asked again
    assert circuit.failures == 1


def test_the_circuit_tries_redis_again_after_the_retry_delay_and_closes_on_success():
    now = [0.0]
    circuit = RedisCircuit(retry_seconds=5, clock=lambda: now[0])
    circuit.failed(ConnectionError("refused"))
    assert circuit.down and not circuit.worth_trying
    now[0] = 5.0
    assert circuit.worth_trying
    circuit.succeeded()
    assert not circuit.down


class FailingBroker(InProcessBroker):
    async def publish(self, topic: str, message: bytes) -> None:
        raise ConnectionError("Redis is away")


async def test_a_failed_publish_is_dropped_counted_and_logged_once(
    caplog: pytest.LogCaptureFixture,
):
    metrics = Metrics()
    broker = BestEffortBroker(FailingBroker(), RedisCircuit(retry_seconds=0), metrics=metrics)
    with caplog.at_level(logging.WARNING, logger="creatorgraph.broker"):
        for _ in range(5):
            await broker.publish("Profile:1", b"{}")  # never raises
    assert broker.dropped == 5
    assert b"creatorgraph_events_dropped_total 5.0" in metrics.exposition()  # operators see it
    assert len([r for r in caplog.records if r.name == "creatorgraph.broker"]) == 1


async def test_publishing_resumes_and_says_so_once(caplog: pytest.LogCaptureFixture):
    inner = InProcessBroker()
    broker = BestEffortBroker(inner, RedisCircuit(retry_seconds=0))
    broker._failing = True  # as after an outage
    async with inner.subscribe("Profile:1") as events:
        with caplog.at_level(logging.WARNING, logger="creatorgraph.broker"):
            await broker.publish("Profile:1", b"one")
            await broker.publish("Profile:1", b"two")
        assert [await anext(events), await anext(events)] == [b"one", b"two"]
    assert [r.getMessage() for r in caplog.records] == ["publishing events again; 0 were dropped"]
