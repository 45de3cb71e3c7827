"""Each client's budget of query cost over time: in process, or shared through Redis when
``REDIS_URL`` is set so every instance spends from the same budget.

A sliding window counter (``limits``) with the query's cost as the amount: two counters per
client whatever the cost, where a moving window would store one timestamp per point. Seen from
the client it behaves as Shopify's leaky bucket: ``maximum`` points, restored at ``restore_rate``
points a second.

While Redis is unreachable (adapters/redis_circuit.py) the budget is kept in process, per
instance, as the rate limiters do: a client is still metered, only not across instances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from adapters.metrics import Metrics
from adapters.redis_circuit import RedisCircuit


@dataclass(frozen=True, slots=True)
class BudgetState:
    allowed: bool
    available: int  # points left after this request (before it, when refused)
    retry_after: int  # seconds until the request could pass; 0 when allowed


class QueryBudget:
    def __init__(
        self,
        rate: str,
        redis: Redis | None = None,
        *,
        circuit: RedisCircuit | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``redis``: the process's client, whose connection pool the budget borrows (as the
        rate limiters do, adapters/ratelimit.py): no connections of its own. ``circuit``: the
        process's view of whether Redis is up (one of its own when not given). Refusals are
        counted in ``metrics`` as the ``query-cost`` limiter."""
        self.item: RateLimitItem = parse(rate)
        self.metrics = metrics or Metrics()
        self._local_storage = MemoryStorage()
        self._local = SlidingWindowCounterRateLimiter(self._local_storage)
        self._storage: Storage = self._local_storage
        self._limiter = self._local
        self._circuit = circuit or RedisCircuit()
        if redis is not None:
            self._storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix="creatorgraph-query-cost",
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits types **options as scalars; Redis() takes this pool
            )
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
        if self._limiter is self._local:
            state = await self._spend(self._local, client, cost)
        else:
            remote, local = self._limiter, self._local
            state = await self._circuit.call(
                lambda: self._spend(remote, client, cost), lambda: self._spend(local, client, cost)
            )
        if not state.allowed:
            self.metrics.refused("query-cost")
        return state

    async def _spend(
        self, limiter: SlidingWindowCounterRateLimiter, client: str, cost: int
    ) -> BudgetState:
        points = max(1, cost)
        allowed = points <= self.maximum and await limiter.hit(
            self.item, "query-cost", client, cost=points
        )
        stats = await limiter.get_window_stats(self.item, "query-cost", client)
        if allowed:
            return BudgetState(True, stats.remaining, 0)
        missing = max(1, points - stats.remaining)
        return BudgetState(False, stats.remaining, max(1, math.ceil(missing / self.restore_rate)))

    async def reset(self) -> None:
        await self._local_storage.reset()
        if self._storage is not self._local_storage:
            await self._storage.reset()
