"""Rate limits as operations apply them: count one use, refuse with the one rate-limit error."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.ratelimit import RateLimiter
from resolvers.errors import RateLimitedError


async def enforce_limit(
    limiter: RateLimiter, key: str, what: str, field: Sequence[str] | None = None
) -> None:
    """Counts one use for ``key`` (``user:<id>``, ``address:<ip>``…) and raises
    ``RateLimitedError`` naming ``what`` ("syncs", "messages") when the limiter refuses, so
    every limit answers alike: RATE_LIMITED with a wait in GraphQL, 429 in REST."""
    retry_after = await limiter.hit(key)
    if retry_after is not None:
        raise RateLimitedError(retry_after, what, field)
