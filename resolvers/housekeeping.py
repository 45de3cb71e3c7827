"""Clean-up the job engine runs on a schedule: expired refresh tokens, and stats history kept
compact.

History: every snapshot of the last ``full_days`` is kept (growth over 7 and 30 days reads
them); older ones are thinned to the last snapshot of each account's UTC day, and those are
kept for ``keep_days`` (two years), then deleted. Both are single bulk statements — the history
table is the largest one — written once for each database's way of naming a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import connections

from models import RefreshToken, StatsSnapshot


@dataclass(frozen=True, slots=True)
class HistoryCompaction:
    thinned: int  # older than full_days, not the last of their day
    expired: int  # older than keep_days


async def delete_expired_refresh_tokens(now: datetime | None = None) -> int:
    """Tokens past their expiry can sign no one in, used or not: their rows only take space
    (reuse detection needs a family's tokens only while one of them is still valid)."""
    return await RefreshToken.filter(expires_at__lt=now or datetime.now(UTC)).delete()


async def compact_history(
    full_days: int, keep_days: int, now: datetime | None = None
) -> HistoryCompaction:
    now = now or datetime.now(UTC)
    expired = await StatsSnapshot.filter(taken_at__lt=now - timedelta(days=keep_days)).delete()
    cutoff = now - timedelta(days=full_days)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        day = "({t}.taken_at AT TIME ZONE 'UTC')::date"
        placeholder = "$1"
    else:
        day = "date({t}.taken_at)"
        placeholder = "?"
    # A snapshot goes when a later one (higher id: snapshots are appended in time order) of
    # the same account and day exists.
    sql = (
        "DELETE FROM stats_snapshots AS s "  # noqa: S608 - no user input: fixed names only
        f"WHERE s.taken_at < {placeholder} AND EXISTS ("
        "SELECT 1 FROM stats_snapshots AS later "
        "WHERE later.account_id = s.account_id AND later.id > s.id "
        f"AND {day.format(t='later')} = {day.format(t='s')})"
    )
    thinned, _ = await connection.execute_query(sql, [cutoff])
    return HistoryCompaction(thinned=thinned, expired=expired)
