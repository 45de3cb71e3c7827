"""Publish/subscribe for events that other parts (subscriptions, caches) react to.

Publishers call ``publish`` after their transaction commits. This in-process broker delivers to
subscribers of the same process; each subscriber has a bounded queue, and one that cannot keep up
is dropped rather than allowed to slow the publisher or the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from adapters.metrics import Metrics
from adapters.redis_circuit import REDIS_FAILURES, RedisCircuit

log = logging.getLogger("creatorgraph.broker")


class SubscriberDropped(Exception):
    """The subscriber fell too far behind and was disconnected."""


class Broker(Protocol):
    async def publish(self, topic: str, message: bytes) -> None: ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]: ...

    async def close(self) -> None: ...


_DROPPED = object()


class InProcessBroker:
    def __init__(self, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[object]]] = defaultdict(set)

    async def publish(self, topic: str, message: bytes) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self._subscribers[topic].discard(queue)
                queue.get_nowait()
                queue.put_nowait(_DROPPED)
                log.warning("dropped a slow subscriber of %s", topic)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[bytes]]:
        queue: asyncio.Queue[object] = asyncio.Queue(self._queue_size)
        self._subscribers[topic].add(queue)

        async def messages() -> AsyncIterator[bytes]:
            while True:
                item = await queue.get()
                if item is _DROPPED:
                    raise SubscriberDropped(topic)
                assert isinstance(item, bytes)
                yield item

        try:
            yield messages()
        finally:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[topic]

    async def close(self) -> None:
        self._subscribers.clear()


class BestEffortBroker:
    """The broker every writer publishes through: a publish never fails.

    Writers publish after their transaction commits, so by then the write has happened and its
    caller must hear success; an event that cannot go out (Redis away) is dropped, counted and
    logged — once when publishing starts failing and once when it works again, not once per
    event or subscriber. While the process's Redis circuit is open, publishing is not even
    tried. Subscribers catch up by refetching: a client whose subscription ends (an error, a
    LAGGED code, a closed socket) queries the current state before subscribing again, and one
    that suspects a gap (its instance reported degraded on /health/ready) can do the same."""

    def __init__(
        self,
        broker: Broker,
        circuit: RedisCircuit | None = None,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self._broker = broker
        self._circuit = circuit
        self._failing = False
        self._metrics = metrics or Metrics()
        self.dropped = 0  # events not published since the process started (also on /metrics)

    async def publish(self, topic: str, message: bytes) -> None:
        if self._circuit is not None and not self._circuit.worth_trying:
            self._drop(None)
            return
        try:
            await self._broker.publish(topic, message)
        except Exception as exc:
            if self._circuit is not None and isinstance(exc, REDIS_FAILURES):
                self._circuit.failed(exc)
            self._drop(exc)
            return
        if self._circuit is not None:
            self._circuit.succeeded()
        if self._failing:
            self._failing = False
            log.warning("publishing events again; %d were dropped", self.dropped)

    def _drop(self, exc: Exception | None) -> None:
        self.dropped += 1
        self._metrics.event_dropped()
        if not self._failing:
            self._failing = True
            log.warning("events are not being published (%r); dropping them", exc)

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        return self._broker.subscribe(topic)

    async def close(self) -> None:
        await self._broker.close()
