"""Where Apollo's automatic persisted queries (APQ) are kept: hash → document text.

In memory, a least-recently-used map bounded in bytes (the text's UTF-8 size), so a client
registering many documents evicts old ones instead of growing the process. With Redis
configured the entries are also shared, each with a TTL, so a document registered through one
instance answers hash-only requests on every other; while Redis is down (the shared circuit)
each instance keeps serving what it holds itself, and a miss only costs the client one resend.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from redis.asyncio import Redis

from adapters.redis_circuit import REDIS_FAILURES, RedisCircuit

log = logging.getLogger("creatorgraph.apq")

KEY_PREFIX = "creatorgraph:apq:"


class MemoryDocuments:
    """An LRU of texts by hash, never holding more than ``max_bytes`` of text."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, str] = OrderedDict()

    def get(self, sha256: str) -> str | None:
        text = self._entries.get(sha256)
        if text is not None:
            self._entries.move_to_end(sha256)
        return text

    def put(self, sha256: str, text: str) -> None:
        size = len(text.encode("utf-8"))
        if size > self.max_bytes:
            return
        previous = self._entries.pop(sha256, None)
        if previous is not None:
            self.bytes -= len(previous.encode("utf-8"))
        self._entries[sha256] = text
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= len(evicted.encode("utf-8"))

    def __len__(self) -> int:
        return len(self._entries)


class ApqStore:
    def __init__(self, max_bytes: int, ttl_seconds: int) -> None:
        self.memory = MemoryDocuments(max_bytes)
        self.ttl_seconds = ttl_seconds

    async def get(
        self, sha256: str, redis: Redis | None, circuit: RedisCircuit | None
    ) -> str | None:
        text = self.memory.get(sha256)
        if text is not None or redis is None or circuit is None or not circuit.worth_trying:
            return text
        try:
            stored = await redis.get(KEY_PREFIX + sha256)
        except REDIS_FAILURES as exc:
            circuit.failed(exc)
            return None
        circuit.succeeded()
        if stored is None:
            return None
        text = stored.decode("utf-8") if isinstance(stored, bytes) else str(stored)
        self.memory.put(sha256, text)
        return text

    async def put(
        self, sha256: str, text: str, redis: Redis | None, circuit: RedisCircuit | None
    ) -> None:
        self.memory.put(sha256, text)
        if redis is None or circuit is None or not circuit.worth_trying:
            return
        try:
            await redis.set(KEY_PREFIX + sha256, text.encode("utf-8"), ex=self.ttl_seconds)
        except REDIS_FAILURES as exc:
            circuit.failed(exc)
            return
        circuit.succeeded()
