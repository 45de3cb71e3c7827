"""The sync path: every new set of platform numbers goes through ``apply_sync``.

Manual syncs (GraphQL, REST), batch syncs, provider connects and refreshes and — later — OAuth
and scheduled refreshes all end in the same function: it validates, then hands the upserts (each
account and its snapshot) to the stats tail (``change_profile_stats``), which holds the profile's
row lock, recomputes the aggregates and publishes one event after commit.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

from adapters.platforms.engagement import ENGAGEMENT_MAX
from adapters.platforms.types import RecentPost
from models import AccountState, Platform, Profile, SocialAccount, StatsSnapshot, SyncSource, User
from resolvers.aggregates import Aggregates
from resolvers.cursors import Page, newest_first
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.limits import enforce_limit
from resolvers.notifications import notify_sync_finished
from resolvers.posts import replace_posts
from resolvers.services import Services
from resolvers.stats_change import StatsChange, change_profile_stats

# Above the largest real accounts (Instagram's biggest is under 700M) with room to grow, and
# still inside GraphQL's 32-bit Int so per-platform counts keep their contract type.
FOLLOWERS_MAX = 2_000_000_000
BATCH_MAX = 100
SYSTEM = 0  # ``initiated_by`` of a sync no user started (a background job): no user has id 0

# A step run in the same transaction right after the items are stored (OAuth stores the
# account's tokens there, so an account never exists without them, nor they without it).
AfterStore = Callable[[StatsChange, "list[ItemResult]"], Awaitable[None]]


class ErrorPolicy(StrEnum):
    REJECT_EVERYTHING = "REJECT_EVERYTHING"
    REJECT_FAILED_ROWS = "REJECT_FAILED_ROWS"


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a provider (or, later, OAuth) fetch says beyond the numbers. A sync without it (a
    manual one) clears what described the previous numbers: provider, precision, method, time."""

    provider: str
    fetched_at: datetime
    count_precision: str
    engagement_method: str
    platform_user_id: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None
    verified: bool | None = None
    following: int | None = None
    content_count: int | None = None
    total_likes: int | None = None
    total_views: int | None = None
    # The latest posts or videos the fetch returned, newest first: they replace the account's
    # stored ones (resolvers/posts.py). A sync without provenance leaves those alone.
    posts: tuple[RecentPost, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One platform's numbers as the client sent them: not yet trusted, hence ``object``."""

    platform: object
    followers: object
    engagement: object = None
    handle: str | None = None
    provenance: Provenance | None = None


@dataclass(slots=True)
class ItemResult:
    platform: Platform | None
    account: SocialAccount | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class SyncOutcome:
    profile: Profile
    results: list[ItemResult]
    aggregates: Aggregates | None

    @property
    def count(self) -> int:
        return sum(1 for r in self.results if r.account is not None)

    @property
    def errors(self) -> list[FieldError]:
        return [e for r in self.results for e in r.errors]


def parse_platform(value: object) -> Platform | None:
    if isinstance(value, Platform):
        return value
    if isinstance(value, str):
        try:
            return Platform(value.strip().upper())
        except ValueError:
            return None
    return None


def validate_sync_item(item: SyncItem, path: tuple[str, ...] = ()) -> list[FieldError]:
    """The one validation of a platform's numbers, for every way they arrive."""
    errors: list[FieldError] = []
    if parse_platform(item.platform) is None:
        errors.append(
            FieldError(
                (*path, "platform"),
                "Choose one of TIKTOK, INSTAGRAM, YOUTUBE, TWITCH, TWITTER.",
                ErrorCode.INVALID,
            )
        )
    followers = item.followers
    if followers is None:
        errors.append(
            FieldError((*path, "followers"), "Enter the follower count.", ErrorCode.REQUIRED)
        )
    elif isinstance(followers, bool) or not isinstance(followers, int):
        errors.append(
            FieldError((*path, "followers"), "Followers must be a whole number.", ErrorCode.INVALID)
        )
    elif not 0 <= followers <= FOLLOWERS_MAX:
        errors.append(
            FieldError(
                (*path, "followers"),
                f"Followers must be from 0 to {FOLLOWERS_MAX:,}.",
                ErrorCode.OUT_OF_RANGE,
            )
        )
    engagement = item.engagement
    if engagement is not None:
        if isinstance(engagement, bool) or not isinstance(engagement, int | float):
            errors.append(
                FieldError((*path, "engagement"), "Engagement must be a number.", ErrorCode.INVALID)
            )
        elif not math.isfinite(engagement):
            errors.append(
                FieldError(
                    (*path, "engagement"), "Engagement must be a finite number.", ErrorCode.INVALID
                )
            )
        elif not 0 <= engagement <= ENGAGEMENT_MAX:
            errors.append(
                FieldError(
                    (*path, "engagement"),
                    f"Engagement must be a percentage from 0 to {ENGAGEMENT_MAX:g}.",
                    ErrorCode.OUT_OF_RANGE,
                )
            )
    return errors


async def sync_manual(
    services: Services,
    user: User,
    items: Sequence[SyncItem],
    error_policy: ErrorPolicy = ErrorPolicy.REJECT_EVERYTHING,
    *,
    batch: bool = False,
) -> SyncOutcome:
    """A sync the user typed in: rate limited per user, then the one sync path."""
    await enforce_limit(services.sync_limiter, f"user:{user.id}", "syncs")
    return await apply_sync(
        services, user.id, items, error_policy, source=SyncSource.MANUAL, batch=batch
    )


async def apply_sync(
    services: Services,
    user_id: int,
    items: Sequence[SyncItem],
    error_policy: ErrorPolicy = ErrorPolicy.REJECT_EVERYTHING,
    *,
    source: SyncSource,
    batch: bool = True,
    initiated_by: int | None = None,
    after_store: AfterStore | None = None,
) -> SyncOutcome:
    """Validates and stores one or more platforms' stats for the profile of ``user_id``.

    ``initiated_by`` is who started the sync: None for the profile's owner (manual syncs, the
    owner's own refreshes), ``SYSTEM`` for a background job, or another user's id. When it was
    not the owner, the owner gets a SYNC_COMPLETED or SYNC_FAILED notification once it is over.
    """
    if initiated_by is None or initiated_by == user_id:
        return await _apply_sync(
            services, user_id, items, error_policy, source=source, batch=batch, after=after_store
        )
    try:
        outcome = await _apply_sync(
            services, user_id, items, error_policy, source=source, batch=batch, after=after_store
        )
    except OperationError as exc:
        await notify_sync_finished(services, user_id, [], exc.errors)
        raise
    saved = [r.platform.value for r in outcome.results if r.account is not None and r.platform]
    await notify_sync_finished(services, user_id, saved, outcome.errors, outcome.profile.id)
    return outcome


async def _apply_sync(
    services: Services,
    user_id: int,
    items: Sequence[SyncItem],
    error_policy: ErrorPolicy,
    *,
    source: SyncSource,
    batch: bool,
    after: AfterStore | None,
) -> SyncOutcome:
    if batch and not items:
        raise OperationError.single(("items",), "Send at least one item.", ErrorCode.REQUIRED)
    if len(items) > BATCH_MAX:
        raise OperationError.single(
            ("items",), f"Send at most {BATCH_MAX} items at once.", ErrorCode.TOO_MANY
        )
    results = _validate_items(items, batch)
    failed = any(r.errors for r in results)
    if not batch and failed:
        raise OperationError(results[0].errors)
    if all(r.errors for r in results) or (failed and error_policy is ErrorPolicy.REJECT_EVERYTHING):
        # Nothing to store: no lock taken, nothing announced.
        return SyncOutcome(await Profile.get(user_id=user_id), results, None)

    async def store(change: StatsChange) -> None:
        for item, result in zip(items, results, strict=True):
            if not result.errors:
                result.account = await _store(change, item, source)
        if after is not None:
            await after(change, results)

    changed = await change_profile_stats(services, user_id, store)
    return SyncOutcome(changed.profile, results, changed.aggregates)


def _validate_items(items: Sequence[SyncItem], batch: bool) -> list[ItemResult]:
    platforms = [parse_platform(i.platform) for i in items]
    repeated = {p for p, n in Counter(p for p in platforms if p is not None).items() if n > 1}
    results = []
    for index, (item, platform) in enumerate(zip(items, platforms, strict=True)):
        path = ("items", str(index)) if batch else ()
        errors = validate_sync_item(item, path)
        if platform in repeated:
            errors.append(
                FieldError(
                    (*path, "platform"),
                    f"{platform} appears more than once in this batch.",
                    ErrorCode.DUPLICATE,
                )
            )
        results.append(ItemResult(platform, errors=errors))
    return results


async def _store(change: StatsChange, item: SyncItem, source: SyncSource) -> SocialAccount:
    profile, now = change.profile, change.now
    platform = parse_platform(item.platform)
    assert platform is not None and isinstance(item.followers, int)
    assert item.engagement is None or isinstance(item.engagement, int | float)
    engagement = None if item.engagement is None else float(item.engagement)
    account = await SocialAccount.get_or_none(profile_id=profile.id, platform=platform)
    if account is None:
        account = await SocialAccount.create(
            profile=profile,
            platform=platform,
            followers=item.followers,
            engagement=engagement,
            source=source,
            synced_at=now,
            handle=item.handle,
            **_provenance_fields(item.provenance),
        )
        change.account_written(account, created=True)
    else:
        account.followers = item.followers
        account.engagement = engagement
        account.source = source
        account.synced_at = now
        account.state = AccountState.READY
        if item.handle is not None:
            account.handle = item.handle
        for name, value in _provenance_fields(item.provenance).items():
            setattr(account, name, value)
        await account.save()
        change.account_written(account)
    await StatsSnapshot.create(
        account=account,
        followers=item.followers,
        engagement=engagement,
        source=source,
        taken_at=now,
    )
    if item.provenance is not None:
        await replace_posts(account, item.provenance.posts, item.provenance.fetched_at)
    return account


class _ProvenanceFields(TypedDict, total=False):
    """The account columns a sync's provenance writes (a manual sync clears the first four)."""

    provider: str | None
    fetched_at: datetime | None
    count_precision: str | None
    engagement_method: str | None
    platform_user_id: str | None
    display_name: str | None
    avatar_url: str | None
    verified: bool | None
    following: int | None
    content_count: int | None
    total_likes: int | None
    total_views: int | None


def _provenance_fields(provenance: Provenance | None) -> _ProvenanceFields:
    if provenance is None:
        return {
            "provider": None,
            "fetched_at": None,
            "count_precision": None,
            "engagement_method": None,
        }
    return {
        "provider": provenance.provider,
        "fetched_at": provenance.fetched_at,
        "count_precision": provenance.count_precision,
        "engagement_method": provenance.engagement_method,
        "platform_user_id": provenance.platform_user_id,
        "display_name": provenance.display_name,
        "avatar_url": provenance.avatar_url,
        "verified": provenance.verified,
        "following": provenance.following,
        "content_count": provenance.content_count,
        "total_likes": provenance.total_likes,
        "total_views": provenance.total_views,
    }


async def snapshot_history(
    account_id: int, first: int | None, after: str | None
) -> Page[StatsSnapshot]:
    """One account's snapshots, newest first (appended under the profile lock, so id order is
    time order)."""
    return await newest_first(
        StatsSnapshot.filter(account_id=account_id), "StatsSnapshot", first, after
    )
