"""Per-key rate limits over the ``limits`` library: in process by default, shared through Redis
when the app has a Redis client, so every instance counts against the same budget."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from adapters.metrics import Metrics


class RateLimiter:
    def __init__(
        self,
        rate: str,
        redis: Redis | None = None,
        namespace: str = "rl",
        *,
        metrics: Metrics | None = None,
    ) -> None:
        """``rate``: one limit ("10/minute") or several that all hold ("30/minute;1000/day").
        ``redis``: the process's client. ``limits`` wraps its connection pool in a client
        object of its own (it cannot take a client), so the limiter opens no connections of
        its own; the URI it still requires is only parsed, never dialled. Refusals are counted
        in ``metrics`` under the namespace, here, whichever operation asked."""
        # Shortest window first: a burst is refused by the minute before it eats into the day.
        self.items: tuple[RateLimitItem, ...] = tuple(
            sorted(parse_many(rate), key=lambda item: item.get_expiry())
        )
        self._namespace = namespace
        self.metrics = metrics or Metrics()
        self._storage: Storage
        if redis is not None:
            self._storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=f"creatorgraph-{namespace}",
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits types **options as scalars; Redis() takes this pool
            )
        else:
            self._storage = MemoryStorage()
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
        for item in self.items:
            if not await self._limiter.hit(item, self._namespace, key):
                self.metrics.refused(self._namespace)
                return await self._retry_after(key)
        return None

    async def _retry_after(self, key: str) -> int:
        waits = [0.0]
        for item in self.items:
            if not await self._limiter.test(item, self._namespace, key):
                stats = await self._limiter.get_window_stats(item, self._namespace, key)
                waits.append(stats.reset_time - time.time())
        return max(1, math.ceil(max(waits)))

    async def reset(self) -> None:
        await self._storage.reset()
