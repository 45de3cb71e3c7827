"""`profileStatsEvents`: a profile's live stats after every sync."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers.errors import OperationError
from resolvers.stats_events import decode_stats_event
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
        own = watched.user_id == viewer.id

        async def decode(raw: bytes) -> ProfileStats | None:
            event = decode_stats_event(raw)
            if not own and not await still_visible(viewer, watched.id):
                return None  # turned private since: nothing more to see
            return ProfileStats(
                total_followers=BigInt(event.total_followers),
                avg_engagement=event.avg_engagement,
                profile_id=event.profile_id,
            )

        async for event in live_events(info, topic, decode):
            yield event
