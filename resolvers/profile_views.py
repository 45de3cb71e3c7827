"""How often profiles are read, so the scheduled refresh can keep the much-viewed ones fresh
(resolvers/scheduled_refresh.py: an account is hot when its profile is viewed often).

A read of a profile by anyone but its owner — ``profile(id)``, or ``node`` for a Profile — is
counted in this process's memory, not written: the counts go to the database at most once a
minute per process, as a few bulk UPDATEs (``flush``), from the next read after a minute or
from the ``flush-profile-views`` job, whichever comes first, so an idle process still hands
its counts over. A process that stops loses at most a minute of counts: a signal, not a ledger.

The database keeps two days per profile: ``views_today`` on the UTC day ``views_day`` and
``views_yesterday`` on the day before it. ``recent_views`` is the larger of the current and the
previous UTC day's counts, so an account read often yesterday stays hot through today's early
hours.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from tortoise.expressions import F, Q

from models import Profile, User
from resolvers.profile_reads import ProfileRow
from resolvers.services import Services

FLUSH_SECONDS = 60.0


def count_profile_view(services: Services, viewer: User | None, profile: ProfileRow) -> None:
    """Counts a read of ``profile`` (its owner's own reads do not count)."""
    count_view(services, viewer.id if viewer is not None else None, profile.id, profile.user_id)


def count_view(services: Services, viewer_id: int | None, profile_id: int, owner_id: int) -> None:
    """``count_profile_view`` by ids, for readers that hold no model instances (the compiled
    read path, resolvers/compiled/)."""
    if viewer_id is not None and viewer_id == owner_id:
        return
    count_view_of(services, profile_id)


def count_view_of(services: Services, profile_id: int) -> None:
    """Counts a read of a profile already known not to be its owner's: a response-cache hit
    (web/response_cache.py), which learnt that when it was filled."""
    views = services.profile_views
    views.add(profile_id)
    if views.age() >= FLUSH_SECONDS:
        services.background.spawn(flush_profile_views(services), "flush-profile-views")


async def read_counts_as_view(viewer_id: int | None, profile_id: int) -> bool:
    """Whether a read of the profile by this viewer counts (anyone's but its owner's)."""
    if viewer_id is None:
        return True
    return not await Profile.exists(id=profile_id, user_id=viewer_id)


async def flush_profile_views(services: Services) -> int:
    """Writes this process's pending counts; returns how many profiles they touched."""
    counts = services.profile_views.take()
    if not counts:
        return 0
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    ids = list(counts)
    # A new day first: what was today becomes yesterday (or nothing, if older). Both are
    # conditional, so another process's flush running at the same time changes nothing twice.
    await Profile.filter(id__in=ids, views_day=yesterday).update(
        views_yesterday=F("views_today"), views_today=0, views_day=today
    )
    await Profile.filter(
        Q(id__in=ids) & (Q(views_day__isnull=True) | Q(views_day__lt=yesterday))
    ).update(views_yesterday=0, views_today=0, views_day=today)
    by_count: defaultdict[int, list[int]] = defaultdict(list)
    for profile_id, count in counts.items():
        by_count[count].append(profile_id)
    for count, same in by_count.items():  # one UPDATE per distinct count, usually a handful
        await Profile.filter(id__in=same).update(views_today=F("views_today") + count)
    return len(ids)


def recent_views(profile: Profile, today: date) -> int:
    """The larger of the profile's views on the current and on the previous UTC day."""
    if profile.views_day == today:
        return max(profile.views_today, profile.views_yesterday)
    if profile.views_day == today - timedelta(days=1):
        return profile.views_today
    return 0
