"""Per-key rate limits over the ``limits`` library: in process by default, shared through Redis
when ``REDIS_URL`` is set so every instance counts against the same budget."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, rate: str, redis_url: str | None = None, namespace: str = "rl") -> None:
        self.item: RateLimitItem = parse(rate)
        self._namespace = namespace
        self._storage: Storage
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            self._storage = RedisStorage(
                uri, implementation="redispy", key_prefix=f"creatorgraph-{namespace}"
            )
        else:
            self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def hit(self, key: str) -> int | None:
        """Counts one use for ``key``. Returns None when allowed, else seconds until a retry can
        succeed (at least 1)."""
        if await self._limiter.hit(self.item, self._namespace, key):
            return None
        stats = await self._limiter.get_window_stats(self.item, self._namespace, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        await self._storage.reset()
