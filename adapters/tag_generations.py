"""Per-tag generations for the response cache: how a cached answer proves it is still current.

Every announced change (resolvers/cache_tags.py) *bumps* its tags: one global counter goes up
by one, and each tag records the counter's new value. So a tag's generation is "the counter at
its last change", and an answer is current when none of its tags changed since it was read:

- A fill reads the counter (``snapshot``) *before* running the request, and after it checks
  that none of the answer's tags has a generation above that snapshot; if one has, a write
  committed while the request ran and the answer may be stale, so it is not stored.
- A hit reads its tags' generations again (``current``) and is served only if they equal the
  ones stored with it.

With Redis these live in Redis (one Lua call per bump, one MGET per hit), so a change bumped on
one instance before its HTTP answer went out is seen by the very next read on every other
instance, whether or not that instance's pub/sub message has arrived. An ``epoch`` key set once
per Redis lifetime is read with them: Redis keeps nothing on disk, and after a restart the
counter starts again from zero, so every entry stored under the old epoch stops matching.

Bounded memory: tag keys expire (``tag_seconds``, more than twice the entries' TTL). A tag that
expired reads as 0, so an entry stored before its last bump can only match again after the tag
expired, by when the entry is long past its own TTL. In memory, the least recently bumped tags
are forgotten past ``max_tags`` and read as the highest generation forgotten (``floor``): never
lower than what an entry stored, so forgetting can cause a miss, never a stale hit.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from adapters.redis_circuit import REDIS_FAILURES, RedisCircuit

log = logging.getLogger("creatorgraph.response_cache")

MEMORY_MAX_TAGS = 200_000
RENEW_RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The store's epoch and global counter when a fill started."""

    epoch: str
    counter: int


class TagGenerations(Protocol):
    async def bump(self, tags: Sequence[str]) -> int | None:
        """The tags' new generation, or None when it could not be recorded."""
        ...

    async def snapshot(self) -> Snapshot | None:
        """None when the store cannot be asked (Redis down): then nothing is cached."""
        ...

    async def current(self, tags: Sequence[str]) -> tuple[str, tuple[int, ...]] | None:
        """The epoch and each tag's generation (0 for a tag never bumped), or None when the
        store cannot be asked."""
        ...


class MemoryTagGenerations:
    """One process's generations (no REDIS_URL: a single instance, so local is exact)."""

    def __init__(self, max_tags: int = MEMORY_MAX_TAGS) -> None:
        self.epoch = secrets.token_hex(8)
        self.counter = 0
        self.floor = 0
        self.max_tags = max_tags
        self._tags: OrderedDict[str, int] = OrderedDict()

    async def bump(self, tags: Sequence[str]) -> int:
        self.counter += 1
        for tag in tags:
            self._tags[tag] = self.counter
            self._tags.move_to_end(tag)
        while len(self._tags) > self.max_tags:
            _, forgotten = self._tags.popitem(last=False)
            self.floor = max(self.floor, forgotten)
        return self.counter

    async def snapshot(self) -> Snapshot:
        return Snapshot(self.epoch, self.counter)

    async def current(self, tags: Sequence[str]) -> tuple[str, tuple[int, ...]]:
        return self.epoch, tuple(self._tags.get(tag, self.floor) for tag in tags)


# KEYS[1] = counter, KEYS[2..] = tags; ARGV[1] = tag lifetime in seconds.
_BUMP = """
local value = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], value, 'EX', ARGV[1])
end
return value
"""


class RedisTagGenerations:
    """Generations shared by every instance on one Redis. While Redis is down (the shared
    circuit) ``snapshot`` and ``current`` answer None, so the cache neither serves nor stores.
    A bump that cannot reach Redis is not lost quietly: the instance keeps trying, in the
    background, to replace the epoch, which turns every entry on every instance into a miss
    as soon as Redis answers again (a change nobody could announce may be in any of them)."""

    def __init__(
        self,
        client: Redis,
        circuit: RedisCircuit,
        *,
        tag_seconds: int,
        prefix: str = "creatorgraph:response-cache:",
    ) -> None:
        self._client = client
        self._circuit = circuit
        self._tag_seconds = max(1, tag_seconds)
        self._counter_key = prefix + "counter"
        self._epoch_key = prefix + "epoch"
        self._tag_prefix = prefix + "tag:"
        self._bump = client.register_script(_BUMP)
        self._renewal: asyncio.Task[None] | None = None

    async def bump(self, tags: Sequence[str]) -> int | None:
        if not self._circuit.worth_trying:
            self._renew_epoch_soon()
            return None
        keys = [self._counter_key, *(self._tag_prefix + tag for tag in tags)]
        try:
            generation = await self._bump(keys=keys, args=[self._tag_seconds])
        except REDIS_FAILURES as exc:
            self._circuit.failed(exc)
            self._renew_epoch_soon()
            return None
        self._circuit.succeeded()
        return int(generation)

    def _renew_epoch_soon(self) -> None:
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.create_task(self._renew_epoch(), name="cache-epoch")

    async def _renew_epoch(self) -> None:
        while True:
            try:
                await self._client.set(self._epoch_key, secrets.token_hex(8))
            except REDIS_FAILURES:
                await asyncio.sleep(RENEW_RETRY_SECONDS)
                continue
            log.warning("a cache announcement could not reach Redis: every entry was dropped")
            return

    async def snapshot(self) -> Snapshot | None:
        found = await self._mget([self._counter_key])
        if found is None:
            return None
        epoch, values = found
        return Snapshot(epoch, values[0])

    async def current(self, tags: Sequence[str]) -> tuple[str, tuple[int, ...]] | None:
        return await self._mget([self._tag_prefix + tag for tag in tags])

    async def _mget(self, keys: list[str]) -> tuple[str, tuple[int, ...]] | None:
        if not self._circuit.worth_trying:
            return None
        try:
            raw = await self._client.mget([self._epoch_key, *keys])
            epoch = raw[0]
            if epoch is None:  # a new Redis (or a first start): a new epoch, set once
                await self._client.set(self._epoch_key, secrets.token_hex(8), nx=True)
                epoch = await self._client.get(self._epoch_key)
        except REDIS_FAILURES as exc:
            self._circuit.failed(exc)
            return None
        self._circuit.succeeded()
        if epoch is None:
            return None
        text = epoch.decode() if isinstance(epoch, bytes) else str(epoch)
        return text, tuple(int(value) if value is not None else 0 for value in raw[1:])
