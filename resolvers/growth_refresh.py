"""The daily recomputation of the stored 30-day growth, for profiles no sync touched.

A profile's 30-day growth changes with time alone: when one of its snapshots passes the
30-day mark, the baseline moves to it. So a profile is due when a snapshot was taken at or
before ``now − 30 days`` but after ``growth_30d_at − 30 days`` (the baseline of the last
computation could not have seen it), or when its growth was never computed. The scan reads the
snapshots of a bounded look-back only (the job runs daily; a week covers missed runs), and each
due profile goes through the stats tail — the only writer of what discovery sorts by — with a
step that changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Subquery
from tortoise.functions import Max

from models import Profile, SocialAccount, StatsSnapshot
from resolvers.growth import GrowthWindow
from resolvers.services import Services
from resolvers.stats_change import StatsChange, change_profile_stats

LOOK_BACK = timedelta(days=7)
GROWTH_REFRESH_BATCH = 500


@dataclass(frozen=True, slots=True)
class GrowthRefresh:
    recomputed: int
    more_due: bool  # the batch was full: the rest waits for the next run


async def due_profiles(now: datetime, limit: int) -> list[int]:
    """Up to ``limit`` user ids of profiles whose 30-day baseline moved since it was computed."""
    cutoff = now - timedelta(days=GrowthWindow.DAYS_30.days)
    crossed = (
        await StatsSnapshot.filter(taken_at__lte=cutoff, taken_at__gt=cutoff - LOOK_BACK)
        .annotate(last=Max("taken_at"))
        .group_by("account__profile_id")
        .values("account__profile_id", "last")
    )
    last_crossing = {r["account__profile_id"]: r["last"] for r in crossed}
    never = await Profile.filter(
        growth_30d_at__isnull=True,
        id__in=Subquery(SocialAccount.all().values("profile_id")),
    ).values_list("id", flat=True)
    candidates = set(last_crossing) | set(never)
    rows = await Profile.filter(id__in=list(candidates)).values_list(
        "id", "user_id", "growth_30d_at"
    )
    due = [
        (profile_id, user_id)
        for profile_id, user_id, computed_at in rows
        if computed_at is None
        or (
            profile_id in last_crossing
            and last_crossing[profile_id] + timedelta(days=GrowthWindow.DAYS_30.days) > computed_at
        )
    ]
    return [user_id for _, user_id in sorted(due)[:limit]]


async def refresh_growth(
    services: Services, now: datetime | None = None, limit: int = GROWTH_REFRESH_BATCH
) -> GrowthRefresh:
    due = await due_profiles(now or datetime.now(UTC), limit + 1)

    async def unchanged(change: StatsChange) -> None:
        """Nothing to write: the tail recomputes the growth (and the aggregates) itself."""

    for user_id in due[:limit]:
        await change_profile_stats(services, user_id, unchanged)
    return GrowthRefresh(recomputed=min(len(due), limit), more_due=len(due) > limit)
