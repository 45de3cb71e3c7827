"""The Broker over Redis pub/sub, so an event published on any instance reaches every instance.

Written on ``redis.asyncio`` directly. Each process keeps one pub/sub connection, subscribed to
the topics its local subscribers want (counted, so a topic is subscribed once however many
listen), and one reader task that hands each message to the local subscribers through the same
bounded, drop-the-slow-one queues as the in-process broker.

``subscribe`` returns only once Redis has confirmed the subscription, so a message published
after it returns is delivered. When the connection breaks, the reader opens a new one and
subscribes again to every wanted topic (retrying with back-off while Redis is away); messages
published while it was away are lost, as with any pub/sub.

Redis pub/sub channels ignore the database number, so channel names carry it
(``creatorgraph:<db>:<topic>``): deployments sharing one Redis on different databases, and
test runs, do not hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from adapters.broker import InProcessBroker

log = logging.getLogger("creatorgraph.broker")

READ_TIMEOUT_SECONDS = 1.0
CONFIRM_TIMEOUT_SECONDS = 10.0
RECONNECT_MIN_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 5.0


class RedisBroker:
    def __init__(self, client: Redis, *, queue_size: int = 256, prefix: str | None = None) -> None:
        self._client = client
        db = client.connection_pool.connection_kwargs.get("db", 0)
        self._prefix = prefix if prefix is not None else f"creatorgraph:{db}:"
        self._local = InProcessBroker(queue_size)
        self._wanted: dict[str, int] = {}  # topic → local subscriptions
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()
        self._closed = False
        self.reconnects = 0  # how many times the reader re-established pub/sub (observability)

    @property
    def listening(self) -> bool:
        """False while the reader has lost its pub/sub connection and is reconnecting (events
        published meanwhile do not reach this instance's subscribers)."""
        return self._reader is None or self._pubsub is not None

    def _channel(self, topic: str) -> str:
        return self._prefix + topic

    async def publish(self, topic: str, message: bytes) -> None:
        await self._client.publish(self._channel(topic), message)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[bytes]]:
        async with self._local.subscribe(topic) as messages:
            await self._want(topic)
            try:
                yield messages
            finally:
                await self._unwant(topic)

    async def _want(self, topic: str) -> None:
        self._wanted[topic] = self._wanted.get(topic, 0) + 1
        if self._wanted[topic] == 1:
            confirmed = self._confirmed[topic] = asyncio.Event()
            await self._start()
            if self._pubsub is not None:  # else the reader is reconnecting and will subscribe it
                try:
                    await self._pubsub.subscribe(self._channel(topic))
                except (RedisError, OSError):
                    log.warning("subscribing to %s failed; the reader will retry", topic)
        else:
            confirmed = self._confirmed[topic]
        try:
            async with asyncio.timeout(CONFIRM_TIMEOUT_SECONDS):
                await confirmed.wait()
        except BaseException:
            await self._unwant(topic)
            raise

    async def _unwant(self, topic: str) -> None:
        left = self._wanted.get(topic, 0) - 1
        if left > 0:
            self._wanted[topic] = left
            return
        self._wanted.pop(topic, None)
        self._confirmed.pop(topic, None)
        if self._pubsub is not None and not self._closed:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(self._channel(topic))

    async def _start(self) -> None:
        async with self._start_lock:
            if self._reader is None and not self._closed:
                self._pubsub = await self._connect([])
                self._reader = asyncio.create_task(self._read(), name="redis-broker-reader")

    async def _connect(self, topics: list[str]) -> PubSub:
        pubsub = self._client.pubsub()
        await pubsub.connect()
        if topics:
            await pubsub.subscribe(*[self._channel(t) for t in topics])
        return pubsub

    async def _read(self) -> None:
        while not self._closed:
            pubsub = self._pubsub
            if pubsub is None:
                await self._reconnect()
                continue
            try:
                message = await pubsub.get_message(timeout=READ_TIMEOUT_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broken connection, whatever the library calls it
                log.warning("Redis pub/sub connection lost (%s); reconnecting", exc)
                await self._drop_connection()
                continue
            if message is not None:
                await self._dispatch(message)

    async def _dispatch(self, message: dict[str, object]) -> None:
        channel = message.get("channel")
        if isinstance(channel, bytes):
            channel = channel.decode()
        if not isinstance(channel, str) or not channel.startswith(self._prefix):
            return
        topic = channel.removeprefix(self._prefix)
        kind = message.get("type")
        if kind == "message":
            data = message.get("data")
            if isinstance(data, str):
                data = data.encode()
            if isinstance(data, bytes):
                await self._local.publish(topic, data)
        elif kind == "subscribe" and topic in self._confirmed:
            self._confirmed[topic].set()

    async def _drop_connection(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        for event in self._confirmed.values():
            event.clear()
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _reconnect(self) -> None:
        delay = RECONNECT_MIN_SECONDS
        while not self._closed:
            topics = list(self._wanted)
            try:
                self._pubsub = await self._connect(topics)
                wanted_meanwhile = [self._channel(t) for t in self._wanted if t not in topics]
                if wanted_meanwhile:
                    await self._pubsub.subscribe(*wanted_meanwhile)
            except (RedisError, OSError) as exc:
                log.warning("Redis pub/sub reconnect failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                continue
            self.reconnects += 1
            log.info("Redis pub/sub reconnected; subscribed again to %d topics", len(self._wanted))
            return

    async def close(self) -> None:
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._drop_connection()
        await self._local.close()
