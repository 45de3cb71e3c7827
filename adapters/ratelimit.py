"""Per-key rate limits over the ``limits`` library: in process by default, shared through Redis
when the app has a Redis client, so every instance counts against the same budget.

While Redis is unreachable (adapters/redis_circuit.py) a limiter counts in process instead: each
instance then allows the rate on its own, which is looser than the shared budget but keeps
sign-in and sync working — refusing every request because the counter is away would turn a
cache outage into a full one."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from adapters.redis_circuit import RedisCircuit


class RateLimiter:
    def __init__(
        self,
        rate: str,
        redis: Redis | None = None,
        namespace: str = "rl",
        circuit: RedisCircuit | None = None,
    ) -> None:
        """``redis``: the process's client. ``limits`` wraps its connection pool in a client
        object of its own (it cannot take a client), so the limiter opens no connections of
        its own; the URI it still requires is only parsed, never dialled. ``circuit``: the
        process's view of whether Redis is up (one of its own when not given)."""
        self.item: RateLimitItem = parse(rate)
        self._namespace = namespace
        self._local_storage = MemoryStorage()
        self._local = MovingWindowRateLimiter(self._local_storage)
        self._storage: Storage = self._local_storage
        self._limiter = self._local
        self._circuit = circuit or RedisCircuit()
        if redis is not None:
            self._storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=f"creatorgraph-{namespace}",
                connection_pool=redis.connection_pool,
            )
            self._limiter = MovingWindowRateLimiter(self._storage)

    @classmethod
    def from_url(cls, rate: str, redis_url: str | None, namespace: str = "rl") -> RateLimiter:
        """A limiter with a Redis connection pool of its own (in process without a URL), for a
        limiter built apart from the app, as tests do; the app hands every limiter its client."""
        return cls(rate, Redis.from_url(redis_url) if redis_url else None, namespace)

    async def hit(self, key: str) -> int | None:
        """Counts one use for ``key``. Returns None when allowed, else seconds until a retry can
        succeed (at least 1)."""
        if self._limiter is self._local:
            return await self._hit(self._local, key)
        return await self._circuit.call(
            lambda: self._hit(self._limiter, key), lambda: self._hit(self._local, key)
        )

    async def _hit(self, limiter: MovingWindowRateLimiter, key: str) -> int | None:
        if await limiter.hit(self.item, self._namespace, key):
            return None
        stats = await limiter.get_window_stats(self.item, self._namespace, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        await self._local_storage.reset()
        if self._storage is not self._local_storage:
            await self._storage.reset()
