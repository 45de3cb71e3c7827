"""Growth over time and chart series: the types `PlatformStats.growth`, `ProfileStats.growth`
and `PlatformStats.series` answer with (resolvers/growth.py and resolvers/stats_series.py hold
the definitions)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.growth import Growth as GrowthResult
from resolvers.growth import GrowthWindow as GrowthWindowEnum
from resolvers.stats_series import SERIES_DAYS_MAX
from resolvers.stats_series import SeriesResolution as SeriesResolutionEnum

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    GrowthWindowEnum, name="GrowthWindow", description="How far back growth is measured."
)
GrowthWindow = GrowthWindowEnum
strawberry.enum(
    SeriesResolutionEnum,
    name="SeriesResolution",
    description="One point per UTC day, or per ISO week (starting Monday, UTC).",
)
SeriesResolution = SeriesResolutionEnum

SERIES_DAYS_DESCRIPTION = f"How many days back from now, 1 to {SERIES_DAYS_MAX}."


@strawberry.type(
    description="How the numbers changed over a window, from the sync history: the latest "
    "snapshot against the last one at or before the window's start (or the oldest, when none "
    "is that old — see `fullWindow`)."
)
class Growth:
    followers_change: int = strawberry.field(
        description="Followers now minus followers at the baseline (negative when they fell)."
    )
    followers_percent: float | None = strawberry.field(
        description="That change in percent of the baseline, 2 decimals; null when the "
        "baseline was 0."
    )
    engagement_change: float | None = strawberry.field(
        description="Engagement now minus engagement at the baseline, in percentage points; "
        "null when either is unknown."
    )
    since: datetime = strawberry.field(
        description="When the baseline was taken (for a profile, the oldest of its platforms' "
        "baselines)."
    )
    full_window: bool = strawberry.field(
        description="Whether the baseline is at least the window old; false when the history "
        "is shorter and the oldest snapshot was used."
    )

    @classmethod
    def from_result(cls, g: GrowthResult | None) -> Growth | None:
        if g is None:
            return None
        return cls(
            followers_change=g.followers_change,
            followers_percent=g.followers_percent,
            engagement_change=g.engagement_change,
            since=g.since,
            full_window=g.full_window,
        )


@strawberry.type(description="One point of a chart: the numbers at the end of a day or week.")
class StatsPoint:
    at: datetime = strawberry.field(
        description="The start of the day or week (00:00 UTC) the point stands for."
    )
    followers: int = strawberry.field(description="Followers at the last sync of that bucket.")
    engagement: float | None = strawberry.field(
        description="Engagement in percent at that sync; null when not known."
    )
