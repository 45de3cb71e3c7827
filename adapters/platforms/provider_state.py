"""What every instance must know about a provider, in one place: until when it is blocked (its
quota used up, its circuit open), how much of its quota the last answer said was left, and
short-lived values such as the Twitch app token.

In Redis when the app has a client (the one client the lifespan builds), so that one instance
learning "quota used up" or "provider down" spares the others a request to learn it too; in
process otherwise. Values expire on their own (a block at its end, a quota reading at its reset),
so nothing needs cleaning up. A Redis that fails is logged and treated as "nothing known": the
provider is then asked, which is what happened before this state existed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as redis

log = logging.getLogger("creatorgraph.providers")

# A quota reading without a reset time is trusted this long.
QUOTA_READING_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class QuotaReading:
    limit: int
    remaining: int


class ProviderState:
    """Shared (Redis) or in-process provider state; ``scope`` names one provider and key."""

    def __init__(
        self, client: redis.Redis | None = None, prefix: str = "creatorgraph:providers"
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._local: dict[str, tuple[str, float]] = {}  # name → (value, expires at, epoch)

    async def blocked_until(self, scope: str) -> datetime | None:
        raw = await self.get(f"block:{scope}")
        if raw is None:
            return None
        until = datetime.fromtimestamp(float(raw), UTC)
        return until if until > datetime.now(UTC) else None

    async def block(self, scope: str, until: datetime) -> None:
        await self.set(f"block:{scope}", str(until.timestamp()), until.timestamp() - time.time())

    async def unblock(self, scope: str) -> None:
        await self.delete(f"block:{scope}")

    async def record_quota(
        self, scope: str, limit: int, remaining: int, resets_at: datetime | None
    ) -> None:
        seconds = (
            resets_at.timestamp() - time.time() if resets_at is not None else QUOTA_READING_SECONDS
        )
        await self.set(f"quota:{scope}", f"{limit}:{remaining}", seconds)

    async def quota(self, scope: str) -> QuotaReading | None:
        raw = await self.get(f"quota:{scope}")
        if raw is None:
            return None
        limit, _, remaining = raw.partition(":")
        return QuotaReading(int(limit), int(remaining))

    async def get(self, name: str) -> str | None:
        if self.client is None:
            entry = self._local.get(name)
            if entry is None:
                return None
            if entry[1] <= time.time():
                del self._local[name]
                return None
            return entry[0]
        try:
            raw = await self.client.get(f"{self.prefix}:{name}")
        except redis.RedisError:
            log.warning("shared provider state unreadable (%s)", name, exc_info=True)
            return None
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

    async def set(self, name: str, value: str, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.client is None:
            self._local[name] = (value, time.time() + seconds)
            return
        try:
            await self.client.set(f"{self.prefix}:{name}", value, px=max(1, int(seconds * 1000)))
        except redis.RedisError:
            log.warning("shared provider state not written (%s)", name, exc_info=True)

    async def delete(self, name: str) -> None:
        if self.client is None:
            self._local.pop(name, None)
            return
        try:
            await self.client.delete(f"{self.prefix}:{name}")
        except redis.RedisError:
            log.warning("shared provider state not cleared (%s)", name, exc_info=True)
