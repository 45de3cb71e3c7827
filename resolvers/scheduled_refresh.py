"""The scheduled refresh: provider- and OAuth-backed accounts fetched again with nobody clicking.

Which accounts, in which order: those due (``next_refresh_at`` passed; an account never
scheduled is due once its numbers are a default interval old), connected by a provider or OAuth
and not disconnected, the most urgent first (``refresh_priority``: 0 hot, 1 default, 2 dormant),
then the longest unsynced, at most ``batch`` a run.

How urgent an account is, decided after each refresh and documented here as the rule:
- **hot** (every ``hot_seconds``, 1 h): its followers moved by ``hot_change_percent`` (1 %) or
  more since the previous refresh — it is changing fast, so its numbers go stale fast — or its
  profile was read by others ``hot_views`` (20) times or more on the current or the previous
  UTC day (resolvers/profile_views.py counts them) — it is viewed often, so stale numbers show;
- **dormant** (every ``dormant_seconds``, 7 days): its owner has not been seen for
  ``dormant_after_days`` (30) — nobody is looking at it closely;
- **default** (every ``default_seconds``, 1 day): everything else.

Each account is fetched first, outside any transaction, with the quota reserve set (a provider
key down to its last ``reserve`` of quota is left to users: the run stops taking that platform's
accounts and leaves them due), then stored through the one stats path as ``SYSTEM`` (the owner
is notified). A failure is recorded on the account — code, message, time, and when it is tried
again — and shown to its owner (``socialAccounts``) until a refresh succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from adapters.platforms.errors import (
    AccountNotFound,
    AccountPrivate,
    ProviderError,
    QuotaExhausted,
    QuotaReserved,
)
from adapters.platforms.resilience import background_reserve
from adapters.platforms.types import Platform as ProviderPlatform
from adapters.platforms.types import PlatformProfile
from models import AccountState, Platform, Profile, SocialAccount, SyncSource
from resolvers.cache_tags import announce_changed
from resolvers.errors import OperationError
from resolvers.platforms import provider_failure, sync_item
from resolvers.profile_views import recent_views
from resolvers.services import Services
from resolvers.stats_events import entity_tag
from resolvers.sync import SYSTEM, apply_sync

log = logging.getLogger("creatorgraph.jobs.refresh")

HOT, DEFAULT, DORMANT = 0, 1, 2

# Fetches an OAuth-connected account's own stats with its owner's token (refreshing the token
# when needed); the OAuth module provides it. Without it, OAuth accounts are not selected.
# How an OAuth-connected account is read (resolvers/oauth.py); None when its connection is gone
# (the account is then DISCONNECTED, and its owner told, by the OAuth module).
OAuthFetch = Callable[[Services, SocialAccount], Awaitable[PlatformProfile | None]]


@dataclass(frozen=True, slots=True)
class RefreshSchedule:
    hot_seconds: int = 3600
    default_seconds: int = 86400
    dormant_seconds: int = 604800
    retry_seconds: int = 900
    hot_change_percent: float = 1.0
    hot_views: int = 20
    dormant_after_days: int = 30
    reserve: float = 0.10  # the fraction of a provider's quota kept for users
    batch: int = 50

    def interval(self, priority: int) -> timedelta:
        seconds = {HOT: self.hot_seconds, DORMANT: self.dormant_seconds}.get(
            priority, self.default_seconds
        )
        return timedelta(seconds=seconds)


@dataclass(slots=True)
class RefreshRun:
    """What one run did, by account id."""

    refreshed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # Platforms whose providers reached the quota reserve (or ran out): their accounts stay due.
    held_back: set[Platform] = field(default_factory=set)


async def due_accounts(
    schedule: RefreshSchedule, now: datetime, *, oauth: bool
) -> list[SocialAccount]:
    sources = [SyncSource.PROVIDER, SyncSource.OAUTH] if oauth else [SyncSource.PROVIDER]
    never_scheduled_before = now - timedelta(seconds=schedule.default_seconds)
    return (
        await SocialAccount.filter(source__in=sources, handle__isnull=False)
        .exclude(state=AccountState.DISCONNECTED)
        .filter(
            Q(next_refresh_at__lte=now)
            | Q(next_refresh_at__isnull=True, synced_at__lte=never_scheduled_before)
        )
        .order_by("refresh_priority", "synced_at", "id")
        .limit(schedule.batch)
    )


async def refresh_due_accounts(
    services: Services, schedule: RefreshSchedule, oauth_fetch: OAuthFetch | None = None
) -> RefreshRun:
    """One run of the scheduled refresh (the job calls this)."""
    run = RefreshRun()
    now = datetime.now(UTC)
    for account in await due_accounts(schedule, now, oauth=oauth_fetch is not None):
        platform = Platform(account.platform)
        if platform in run.held_back:
            continue
        await _refresh_one(services, schedule, account, platform, run, oauth_fetch)
        # Its schedule or last error was written (the numbers announce through the stats tail).
        await announce_changed(services, [entity_tag("SocialAccount", account.id)])
    return run


async def _refresh_one(
    services: Services,
    schedule: RefreshSchedule,
    account: SocialAccount,
    platform: Platform,
    run: RefreshRun,
    oauth_fetch: OAuthFetch | None,
) -> None:
    previous_followers = account.followers
    token = background_reserve.set(schedule.reserve)
    try:
        if account.source == SyncSource.OAUTH and oauth_fetch is not None:
            read = await oauth_fetch(services, account)
            if read is None:  # disconnected: no longer selected, nothing more to record
                return
            fetched = read
        else:
            assert account.handle is not None  # selected with a handle
            fetched = await services.platforms.fetch(
                ProviderPlatform(platform.value), account.handle
            )
    except QuotaReserved:
        log.info("%s: quota reserve reached; the rest of this run leaves it alone", platform)
        run.held_back.add(platform)
        return
    except ProviderError as error:
        if isinstance(error, QuotaExhausted):
            run.held_back.add(platform)
        await _record_failure(schedule, account, platform, error)
        run.failed.append(account.id)
        return
    finally:
        background_reserve.reset(token)
    owner_id = await _owner_id(account)
    try:
        await apply_sync(
            services,
            owner_id,
            [sync_item(platform, fetched)],
            source=SyncSource(account.source),
            batch=False,
            initiated_by=SYSTEM,
        )
    except OperationError as exc:  # numbers the sync path refuses (validation)
        first = exc.errors[0]
        await _store_failure(account, schedule, first.code.value, first.message, None)
        run.failed.append(account.id)
        return
    priority = await _priority(schedule, owner_id, previous_followers, fetched)
    await SocialAccount.filter(id=account.id).update(
        refresh_priority=priority,
        next_refresh_at=datetime.now(UTC) + schedule.interval(priority),
        refresh_error_code=None,
        refresh_error_message=None,
        refresh_error_at=None,
    )
    run.refreshed.append(account.id)


async def _owner_id(account: SocialAccount) -> int:
    profile = await Profile.get(id=account.profile_id)
    return profile.user_id


async def _priority(
    schedule: RefreshSchedule, owner_id: int, previous: int, fetched: PlatformProfile
) -> int:
    current = fetched.followers
    if current is not None and previous > 0:
        change_percent = abs(current - previous) * 100 / previous
        if change_percent >= schedule.hot_change_percent:
            return HOT
    profile = await Profile.get(user_id=owner_id)
    if recent_views(profile, datetime.now(UTC).date()) >= schedule.hot_views:
        return HOT
    cutoff = datetime.now(UTC) - timedelta(days=schedule.dormant_after_days)
    if profile.last_seen_at is not None and profile.last_seen_at < cutoff:
        return DORMANT
    return DEFAULT


async def _record_failure(
    schedule: RefreshSchedule, account: SocialAccount, platform: Platform, error: ProviderError
) -> None:
    described = provider_failure(error, platform, saved=True)
    if isinstance(error, AccountNotFound | AccountPrivate):
        # Asking again soon will not change the answer: try again at the usual pace.
        retry_at: datetime | None = datetime.now(UTC) + schedule.interval(account.refresh_priority)
    else:
        retry_at = error.retry_at
    await _store_failure(account, schedule, described.code.value, described.message, retry_at)


async def _store_failure(
    account: SocialAccount,
    schedule: RefreshSchedule,
    code: str,
    message: str,
    retry_at: datetime | None,
) -> None:
    now = datetime.now(UTC)
    earliest = now + timedelta(seconds=schedule.retry_seconds)
    log.info("scheduled refresh of account %s failed: %s", account.id, code)
    await SocialAccount.filter(id=account.id).update(
        refresh_error_code=code[:40],
        refresh_error_message=message[:500],
        refresh_error_at=now,
        next_refresh_at=max(earliest, retry_at) if retry_at else earliest,
    )
