"""Each client's budget of query cost over time: in process, or shared through Redis when
``REDIS_URL`` is set so every instance spends from the same budget.

A sliding window counter (``limits``) with the query's cost as the amount: two counters per
client whatever the cost, where a moving window would store one timestamp per point. Seen from
the client it behaves as Shopify's leaky bucket: ``maximum`` points, restored at ``restore_rate``
points a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from adapters.metrics import Metrics


@dataclass(frozen=True, slots=True)
class BudgetState:
    allowed: bool
    available: int  # points left after this request (before it, when refused)
    retry_after: int  # seconds until the request could pass; 0 when allowed


class QueryBudget:
    def __init__(
        self, rate: str, redis: Redis | None = None, *, metrics: Metrics | None = None
    ) -> None:
        """``redis``: the process's client, whose connection pool the budget borrows (as the
        rate limiters do, adapters/ratelimit.py): no connections of its own. Refusals are
        counted in ``metrics`` as the ``query-cost`` limiter."""
        self.item: RateLimitItem = parse(rate)
        self.metrics = metrics or Metrics()
        self._storage: Storage
        if redis is not None:
            self._storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix="creatorgraph-query-cost",
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits types **options as scalars; Redis() takes this pool
            )
        else:
            self._storage = MemoryStorage()
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)

    @property
    def maximum(self) -> int:
        return self.item.amount

    @property
    def restore_rate(self) -> float:
        """Points restored per second."""
        return self.item.amount / self.item.get_expiry()

    async def spend(self, client: str, cost: int) -> BudgetState:
        """Takes ``cost`` points (at least 1: no request is free) from the client's budget, or
        refuses without taking any when fewer are left."""
        points = max(1, cost)
        allowed = points <= self.maximum and await self._limiter.hit(
            self.item, "query-cost", client, cost=points
        )
        stats = await self._limiter.get_window_stats(self.item, "query-cost", client)
        if allowed:
            return BudgetState(True, stats.remaining, 0)
        self.metrics.refused("query-cost")
        missing = max(1, points - stats.remaining)
        return BudgetState(False, stats.remaining, max(1, math.ceil(missing / self.restore_rate)))

    async def reset(self) -> None:
        await self._storage.reset()
