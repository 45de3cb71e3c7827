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
