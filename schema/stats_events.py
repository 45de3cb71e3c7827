"""`profileStatsEvents`: a profile's live stats after every sync."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import orjson
import strawberry

from resolvers.errors import OperationError
from resolvers.subscriptions import profile_stats_topic, still_visible
from schema.context import Info
from schema.errors import PublicError
from schema.input_ids import optional_pk_of
from schema.profiles import ProfileStats
from schema.scalars import BigInt
from schema.subscriptions import live_events


@strawberry.type
class StatsSubscription:
    @strawberry.subscription(
        description="A profile's stats after every sync: a public profile's, or your own "
        "(the default)."
    )
    async def profile_stats_events(
        self, info: Info, profile: strawberry.ID | None = None
    ) -> AsyncGenerator[ProfileStats, None]:
        viewer = await info.context.require_viewer()
        try:
            topic, watched = await profile_stats_topic(viewer, optional_pk_of(profile, "Profile"))
        except OperationError as exc:
            raise PublicError(str(exc), "NOT_FOUND") from None
        own = watched.user_id == viewer.id  # type: ignore[attr-defined]

        async def decode(raw: bytes) -> ProfileStats | None:
            event = orjson.loads(raw)
            if event.get("type") != "STATS_UPDATED":
                return None
            if not own and not await still_visible(viewer, watched.id):
                return None  # turned private since: nothing more to see
            return ProfileStats(
                total_followers=BigInt(event["totalFollowers"]),
                avg_engagement=event["avgEngagement"],
                profile_id=watched.id,
            )

        async for event in live_events(info, topic, decode):
            yield event
