"""A small cache interface over aiocache — in process by default, Redis with ``REDIS_URL`` —
with single-flight loading, which aiocache's ``@cached`` lacks (its stampede helper is not
shared across instances).

``get_or_load(key, load)``: a hit is answered from the cache. On a miss, concurrent callers in
one process share one ``load`` (an asyncio task per key). With Redis, the process that wins a
short ``SET NX`` lock loads and stores the value while the others poll for it, for a bounded
time, then fall back to loading themselves — so 100 callers across instances make one upstream
call, and a crashed loader delays the others by at most the lock's lifetime. Values are bytes;
the loader picks each value's TTL (a not-found answer lives shorter than a profile).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiocache import SimpleMemoryCache
from aiocache.backends.redis import RedisCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer
from redis.asyncio import ConnectionPool, Redis

from adapters.metrics import Metrics

log = logging.getLogger("creatorgraph.cache")
T = TypeVar("T")

Loader = Callable[[], Awaitable[tuple[bytes, float]]]
"""Produces a value and how many seconds it may be served from the cache."""

_RELEASE_SCRIPT = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end"
)


class _BytesSerializer(BaseSerializer):  # type: ignore[misc]  # aiocache is untyped: its base is Any
    """Stores bytes as they are, on every backend."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Any) -> Any:
        return value

    def loads(self, value: Any) -> Any:
        return value


def _shared_redis_backend(client: Redis, namespace: str) -> RedisCache:
    """aiocache's Redis backend over ``client``'s connection pool (which must not decode
    responses: values are bytes). aiocache 0.12 cannot take a client, only a pool class that it
    calls with connection options; this one answers with the client's own pool."""
    pool = client.connection_pool

    def shared_pool(**_options: Any) -> ConnectionPool:
        return pool

    return RedisCache(
        serializer=_BytesSerializer(), namespace=namespace, connection_pool_class=shared_pool
    )


class Cache:
    def __init__(
        self,
        backend: BaseCache,
        *,
        distributed: bool,
        lock_seconds: float = 15.0,
        poll_seconds: float = 0.01,
        owned_client: Redis | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.backend = backend
        self.metrics = metrics or Metrics()  # hits and misses of get_or_load, by namespace
        self.distributed = distributed
        self._owned_client = owned_client  # closed with the cache; a shared one is not
        self.lock_seconds = lock_seconds
        self.poll_seconds = poll_seconds
        self._inflight: dict[str, asyncio.Task[bytes]] = {}

    @classmethod
    def memory(cls, namespace: str = "cg", *, metrics: Metrics | None = None) -> Cache:
        return cls(
            # No per-operation timeout: in-process operations cannot hang, and aiocache would
            # wrap each in asyncio.wait_for.
            SimpleMemoryCache(serializer=_BytesSerializer(), namespace=namespace, timeout=None),
            distributed=False,
            metrics=metrics,
        )

    @classmethod
    def redis(
        cls,
        client: Redis,
        namespace: str = "cg",
        lock_seconds: float = 15.0,
        *,
        metrics: Metrics | None = None,
    ) -> Cache:
        """A cache over the process's Redis client, opening no connections of its own."""
        return cls(
            _shared_redis_backend(client, namespace),
            distributed=True,
            lock_seconds=lock_seconds,
            metrics=metrics,
        )

    @classmethod
    def from_url(cls, redis_url: str | None, namespace: str, lock_seconds: float = 15.0) -> Cache:
        """A cache with a Redis client of its own (in process without a URL), for a cache built
        apart from the app, as tests do; the app hands its cache the process's client."""
        if not redis_url:
            return cls.memory(namespace)
        client = Redis.from_url(redis_url)
        backend = _shared_redis_backend(client, namespace)
        return cls(backend, distributed=True, lock_seconds=lock_seconds, owned_client=client)

    # The cache is an optimization: when Redis is unreachable, a read is a miss and a write is
    # skipped (logged), so lookups still work, only uncached.

    async def get(self, key: str) -> bytes | None:
        """The cached value; a value found counts as a hit (a miss counts in get_or_load, which
        then loads: a caller that only peeks has not missed anything yet)."""
        value = await self._read(key)
        if value is not None:
            self.metrics.cache_lookup(self.namespace, hit=True)
        return value

    async def _read(self, key: str) -> bytes | None:
        value = await self._quietly(self.backend.get(key), None, "get")
        return value if isinstance(value, bytes) else None

    @property
    def namespace(self) -> str:
        return str(self.backend.namespace or "")

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        # A float TTL is sent as PSETEX (millisecond precision; SETEX is deprecated in redis-py).
        await self._quietly(self.backend.set(key, value, ttl=float(ttl)), None, "set")

    async def delete(self, key: str) -> None:
        await self._quietly(self.backend.delete(key), None, "delete")

    async def close(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        if self._owned_client is not None:
            await self._owned_client.aclose()
        elif not self.distributed:
            await self.backend.close()

    async def get_or_load(self, key: str, load: Loader, *, refresh: bool = False) -> bytes:
        """The cached value, or one freshly loaded by one caller for everyone asking at once.
        ``refresh`` skips the cached value (still sharing an in-flight load)."""
        if not refresh:
            hit = await self.get(key)
            if hit is not None:
                return hit
            self.metrics.cache_lookup(self.namespace, hit=False)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._load(key, load, refresh))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # Shielded: one caller giving up (a closed request) must not cancel the others' load.
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[bytes]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is not None:
            log.warning("loading %s failed: %r", key, task.exception())

    async def _load(self, key: str, load: Loader, refresh: bool) -> bytes:
        if not self.distributed:
            return await self._load_and_store(key, load)
        lock = f"{key}:lock"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.lock_seconds
        while time.monotonic() < deadline:
            if await self._acquire(lock, token):
                try:
                    if not refresh:
                        hit = await self._read(key)  # filled between our miss and our lock
                        if hit is not None:
                            return hit
                    return await self._load_and_store(key, load)
                finally:
                    await self._release(lock, token)
            value = await self._wait_for_holder(key, lock, deadline, refresh)
            if value is not None:
                return value
        log.warning("waited %.1fs for another instance to load %s; loading", self.lock_seconds, key)
        return await self._load_and_store(key, load)

    async def _load_and_store(self, key: str, load: Loader) -> bytes:
        value, ttl = await load()
        if ttl > 0:
            await self.set(key, value, ttl)
        return value

    async def _wait_for_holder(
        self, key: str, lock: str, deadline: float, refresh: bool
    ) -> bytes | None:
        """Polls until the lock holder stores a value (for a refresh: until it releases the lock,
        so the old value is not mistaken for the new one). None when the lock went away without a
        value, so the caller competes for it again."""
        delay = self.poll_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
            held = await self._quietly(self.backend.exists(lock), False, "exists")
            if refresh and held:
                continue
            value = await self._read(key)
            if value is not None:
                return value
            if not held:
                return None
        return None

    async def _acquire(self, lock: str, token: str) -> bool:
        try:
            await self.backend.add(lock, token.encode(), ttl=float(self.lock_seconds))
        except ValueError:  # held by another instance
            return False
        except Exception as exc:  # Redis unreachable: load without the cross-instance lock
            log.warning("cache lock failed: %r", exc)
        return True

    async def _release(self, lock: str, token: str) -> None:
        """Deletes the lock only if it is still ours (it may have expired and been retaken)."""
        client = getattr(self.backend, "client", None)
        if client is None:
            await self.delete(lock)
            return
        key = self.backend.build_key(lock)
        await self._quietly(client.eval(_RELEASE_SCRIPT, 1, key, token.encode()), None, "unlock")

    async def _quietly(self, operation: Awaitable[T], fallback: T, what: str) -> T:
        try:
            return await operation
        except Exception as exc:
            log.warning("cache %s failed: %r", what, exc)
            return fallback
