"""The one tail of every change to what a profile shows: ``change_profile_stats``.

Every writer of a profile's accounts or of the fields its aggregates read — manual and batch
syncs, provider connect and refresh, a provider's verdict on an account (quota used up, not
found, private), disconnect, profile edits, and any later writer such as OAuth or scheduled
refresh — hands its own step to this function, which:

1. opens a transaction and takes the profile's row lock (concurrent changes of one profile
   serialize on it on PostgreSQL, on the single connection on SQLite, so none loses another's),
2. runs the step with the locked profile and a time taken under the lock,
3. recomputes the aggregates from every account, and the 30-day growth discovery sorts by
   (resolvers/growth.py), and saves them, then commits,
4. and only after the commit announces the event's tags to the response cache
   (resolvers/cache_tags.py) and publishes one typed ``StatsEvent`` naming what the step touched.

Why a function that takes the step, not a context manager the writer opens: the whole sequence
reads top to bottom in this one body, and a step can only write or raise. Raising abandons the
change — the transaction rolls back and nothing is published — while a ``return`` inside an
``async with`` block would still save and publish, so every writer that found nothing to do
would have to remember to cancel. Writers that change nothing simply do not call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from models import Profile, SocialAccount
from resolvers.aggregates import Aggregates, recompute_profile_aggregates
from resolvers.cache_tags import announce_changed
from resolvers.growth import recompute_growth_30d
from resolvers.services import Services
from resolvers.stats_events import StatsEvent, encode_stats_event, profile_topic, stats_tags
from resolvers.transactions import write_transaction

T = TypeVar("T")


@dataclass(slots=True)
class StatsChange:
    """What a step gets: the profile, locked until commit; ``now``, taken under the lock so
    change times follow commit order; and the record of the accounts it wrote or removed,
    which the event names."""

    profile: Profile
    now: datetime
    written: set[int] = field(default_factory=set)
    added: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)

    def account_written(self, account: SocialAccount, *, created: bool = False) -> None:
        self.written.add(account.id)
        if created:
            self.added.add(account.id)

    def account_removed(self, account_id: int) -> None:
        self.removed.add(account_id)


@dataclass(frozen=True, slots=True)
class StatsChanged(Generic[T]):
    """After commit and publish: what the step returned, the profile with its new aggregates,
    and the event that went out."""

    result: T
    profile: Profile
    aggregates: Aggregates
    event: StatsEvent


async def change_profile_stats(
    services: Services, user_id: int, step: Callable[[StatsChange], Awaitable[T]]
) -> StatsChanged[T]:
    """Runs ``step`` under the profile's row lock, then recomputes and saves the aggregates,
    commits, and publishes exactly one event. Call it outside any transaction of your own (the
    event would otherwise go out before that commit), and never across an HTTP call: fetch
    first, then change."""
    async with write_transaction():
        profile = await Profile.select_for_update().get(user_id=user_id)
        change = StatsChange(profile, datetime.now(UTC))
        result = await step(change)
        aggregates = await recompute_profile_aggregates(profile, change.now)
        await recompute_growth_30d(profile, change.now)
    event = StatsEvent(
        profile_id=profile.id,
        total_followers=aggregates.total_followers,
        avg_engagement=aggregates.avg_engagement,
        rizz_score=aggregates.rizz_score,
        tags=stats_tags(profile.id, change.written, change.added, change.removed),
    )
    # Cached answers first: a subscriber that refetches on the event must not be served one
    # from before the change.
    await announce_changed(services, event.tags)
    await services.broker.publish(profile_topic(profile.id), encode_stats_event(event))
    return StatsChanged(result, profile, aggregates, event)
