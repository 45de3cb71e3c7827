"""Counts kept in this process's memory until someone writes them out in bulk (the profile
views of resolvers/profile_views.py): a count per request without a write per request."""

from __future__ import annotations

import time
from collections import Counter


class ViewCounts:
    """Counts not yet written, by id, and when they were last taken."""

    def __init__(self) -> None:
        self.pending: Counter[int] = Counter()
        self.taken_at = time.monotonic()

    def add(self, key: int) -> None:
        self.pending[key] += 1

    def age(self) -> float:
        """Seconds since the counts were last taken."""
        return time.monotonic() - self.taken_at

    def take(self) -> Counter[int]:
        """The pending counts, which start again from nothing."""
        taken, self.pending = self.pending, Counter()
        self.taken_at = time.monotonic()
        return taken
