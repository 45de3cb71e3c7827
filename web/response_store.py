"""The response cache's entries in this process: an LRU bounded in bytes, with a tag index.

Each entry's size is its key's bytes, its answer's bytes and its tags' bytes, and the store never
holds more than ``max_bytes`` of them: putting an entry evicts the least recently used until it
fits (an entry bigger than the whole budget is not kept). The tag index (tag → keys) holds only
the tags of entries present, so it shrinks with them: nothing here grows with the number of
distinct requests or tags ever seen.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    tags: tuple[str, ...]
    generations: tuple[int, ...]  # each tag's generation when the answer was read
    epoch: str
    expires_at: float
    size: int
    viewed_profile: int | None = None  # a hit counts as a read of this profile (its views)


class ResponseStore:
    def __init__(
        self,
        max_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.bytes = 0
        self._clock = clock
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._by_tag: dict[str, set[bytes]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self.remove(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(
        self,
        key: bytes,
        body: bytes,
        tags: tuple[str, ...],
        generations: tuple[int, ...],
        epoch: str,
        viewed_profile: int | None = None,
    ) -> bool:
        size = len(key) + len(body) + sum(len(tag) for tag in tags)
        self.remove(key)
        if size > self.max_bytes:
            return False
        while self.bytes + size > self.max_bytes:
            oldest = next(iter(self._entries))
            self.remove(oldest)
        expires_at = self._clock() + self.ttl_seconds
        self._entries[key] = Entry(body, tags, generations, epoch, expires_at, size, viewed_profile)
        self.bytes += size
        for tag in tags:
            self._by_tag.setdefault(tag, set()).add(key)
        return True

    def remove(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.bytes -= entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def invalidate(self, tags: Iterable[str], generation: int | None = None) -> int:
        """Drops every entry holding one of ``tags`` as it was before ``generation`` (every
        such entry when None); how many were dropped."""
        keys: set[bytes] = set()
        for tag in tags:
            for key in self._by_tag.get(tag, ()):
                entry = self._entries[key]
                if generation is None or entry.generations[entry.tags.index(tag)] < generation:
                    keys.add(key)
        for key in keys:
            self.remove(key)
        return len(keys)

    def clear(self) -> None:
        self._entries.clear()
        self._by_tag.clear()
        self.bytes = 0
