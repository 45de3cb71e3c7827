"""A platform's history as a compact chart series: one point per UTC day or ISO week.

Each point is the last snapshot of its bucket (what the numbers were at the end of that day or
week), stamped with the bucket's start (00:00 UTC; Monday for weeks) so points fall on a regular
axis. Buckets without a snapshot are left out. ``days`` (1–365) reaches back from now; the first
bucket may therefore be partial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from models import StatsSnapshot
from resolvers.errors import ErrorCode, OperationError

SERIES_DAYS_MAX = 365


class SeriesResolution(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    at: datetime
    followers: int
    engagement: float | None


def bucket_start(moment: datetime, resolution: SeriesResolution) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if resolution is SeriesResolution.WEEK:
        return day - timedelta(days=day.weekday())
    return day


async def stats_series(
    account_id: int, resolution: SeriesResolution, days: int, now: datetime | None = None
) -> list[SeriesPoint]:
    if not 1 <= days <= SERIES_DAYS_MAX:
        raise OperationError.single(
            ("days",), f"days must be from 1 to {SERIES_DAYS_MAX}.", ErrorCode.OUT_OF_RANGE
        )
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    rows = (
        await StatsSnapshot.filter(account_id=account_id, taken_at__gte=since)
        .order_by("id")
        .values_list("followers", "engagement", "taken_at")
    )
    last: dict[datetime, SeriesPoint] = {}
    for followers, engagement, taken_at in rows:
        at = bucket_start(taken_at, resolution)
        last[at] = SeriesPoint(at, followers, engagement)
    return sorted(last.values(), key=lambda p: p.at)
