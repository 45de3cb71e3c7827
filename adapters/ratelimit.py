"""Per-key rate limits over the ``limits`` library: in process by default, shared through Redis
when the app has a Redis client, so every instance counts against the same budget.

While Redis is unreachable (adapters/redis_circuit.py) a limiter counts in process instead: each
instance then allows the rate on its own, which is looser than the shared budget but keeps
sign-in and sync working — refusing every request because the counter is away would turn a
cache outage into a full one."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from adapters.metrics import Metrics
from adapters.redis_circuit import RedisCircuit


class RateLimiter:
    def __init__(
        self,
        rate: str,
        redis: Redis | None = None,
        namespace: str = "rl",
        *,
        circuit: RedisCircuit | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``rate``: one limit ("10/minute") or several that all hold ("30/minute;1000/day").
        ``redis``: the process's client. ``limits`` wraps its connection pool in a client
        object of its own (it cannot take a client), so the limiter opens no connections of
        its own; the URI it still requires is only parsed, never dialled. ``circuit``: the
        process's view of whether Redis is up (one of its own when not given). Refusals are
        counted in ``metrics`` under the namespace, here, whichever operation asked."""
        # Shortest window first: a burst is refused by the minute before it eats into the day.
        self.items: tuple[RateLimitItem, ...] = tuple(
            sorted(parse_many(rate), key=lambda item: item.get_expiry())
        )
        self._namespace = namespace
        self.metrics = metrics or Metrics()
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
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits types **options as scalars; Redis() takes this pool
            )
            self._limiter = MovingWindowRateLimiter(self._storage)

    @classmethod
    def from_url(cls, rate: str, redis_url: str | None, namespace: str = "rl") -> RateLimiter:
        """A limiter with a Redis connection pool of its own (in process without a URL), for a
        limiter built apart from the app, as tests do; the app hands every limiter its client."""
        return cls(rate, Redis.from_url(redis_url) if redis_url else None, namespace)

    async def hit(self, key: str) -> int | None:
        """Counts one use for ``key`` against every limit. Returns None when all allow it, else
        seconds until a retry can succeed (at least 1): the longest wait among the exhausted
        limits, so a client told to come back in a minute is not refused again by the day.
        A refused use is not counted against the longer limits it did not reach."""
        if self._limiter is self._local:
            retry_after = await self._hit(self._local, key)
        else:
            remote, local = self._limiter, self._local
            retry_after = await self._circuit.call(
                lambda: self._hit(remote, key), lambda: self._hit(local, key)
            )
        if retry_after is not None:
            self.metrics.refused(self._namespace)
        return retry_after

    async def _hit(self, limiter: MovingWindowRateLimiter, key: str) -> int | None:
        for item in self.items:
            if not await limiter.hit(item, self._namespace, key):
                return await self._retry_after(limiter, key)
        return None

    async def _retry_after(self, limiter: MovingWindowRateLimiter, key: str) -> int:
        waits = [0.0]
        for item in self.items:
            if not await limiter.test(item, self._namespace, key):
                stats = await limiter.get_window_stats(item, self._namespace, key)
                waits.append(stats.reset_time - time.time())
        return max(1, math.ceil(max(waits)))

    async def reset(self) -> None:
        await self._local_storage.reset()
        if self._storage is not self._local_storage:
            await self._storage.reset()
