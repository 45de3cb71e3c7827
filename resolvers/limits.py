"""Rate limits as operations apply them: count one use, refuse with the one rate-limit error."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def address_key(client_address: str) -> str:
    """The key a client address is limited under. An IPv6 client counts by its /64, the block a
    single subscriber is handed, or it could take a fresh address for every attempt. Every
    anonymous GraphQL operation asks (its query budget): the parse is kept for the addresses
    seen lately."""
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return f"address:{client_address}"
    if isinstance(address, ipaddress.IPv6Address):
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"
