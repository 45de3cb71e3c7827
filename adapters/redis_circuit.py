"""Whether Redis is worth asking right now: one per process, shared by every user of the one
Redis client (rate limiters, the query-cost budget, the broker's publish, health).

Redis holds nothing an instance cannot do without for a while: limits can be counted in
process, a cache miss is only slower, an event not published is caught up by a refetch. So
when a command fails — refused, reset, or slower than the client's socket timeout — the circuit
opens and, for ``retry_seconds``, callers skip Redis and take their in-process path without
paying a timeout each; then the next caller tries again, and one success closes it. Each change
of state is logged once, not once per request, and failures are counted for operators.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

log = logging.getLogger("creatorgraph.redis")

T = TypeVar("T")

# What an unreachable or stalled Redis raises through redis-py (its ConnectionError and
# TimeoutError are RedisErrors; a refused socket can surface as OSError).
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisCircuit:
    def __init__(
        self, retry_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._down = False
        self._retry_at = 0.0
        self.failures = 0  # commands that failed since the process started (observability)

    @property
    def down(self) -> bool:
        """Redis failed last time it was asked (health reports the instance degraded)."""
        return self._down

    @property
    def worth_trying(self) -> bool:
        return not self._down or self._clock() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        self._retry_at = self._clock() + self._retry_seconds
        if not self._down:
            self._down = True
            log.warning(
                "Redis unreachable (%r): limits counted in process, events not published; "
                "trying again every %.0fs",
                exc,
                self._retry_seconds,
            )

    def succeeded(self) -> None:
        if self._down:
            self._down = False
            log.warning("Redis reachable again after %d failed commands", self.failures)

    async def call(
        self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        """``primary()`` through Redis while it is up, else ``fallback()`` (in process)."""
        if not self.worth_trying:
            return await fallback()
        try:
            result = await primary()
        except REDIS_FAILURES as exc:
            self.failed(exc)
            return await fallback()
        self.succeeded()
        return result
