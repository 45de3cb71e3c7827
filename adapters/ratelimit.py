"""Per-key rate limits over the ``limits`` library: in process by default, shared through Redis
when the app has a Redis client, so every instance counts against the same budget."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
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
        """``redis``: the process's client. ``limits`` wraps its connection pool in a client
        object of its own (it cannot take a client), so the limiter opens no connections of
        its own; the URI it still requires is only parsed, never dialled. Refusals are counted
        in ``metrics`` under the namespace, here, whichever operation asked."""
        self.item: RateLimitItem = parse(rate)
        self._namespace = namespace
        self.metrics = metrics or Metrics()
        self._storage: Storage
        if redis is not None:
            self._storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=f"creatorgraph-{namespace}",
                connection_pool=redis.connection_pool,
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
        """Counts one use for ``key``. Returns None when allowed, else seconds until a retry can
        succeed (at least 1)."""
        if await self._limiter.hit(self.item, self._namespace, key):
            return None
        self.metrics.refused(self._namespace)
        stats = await self._limiter.get_window_stats(self.item, self._namespace, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        await self._storage.reset()
