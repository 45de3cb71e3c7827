"""``socialAccountRefreshAll``: every connected account of the viewer fetched again, one result
per platform.

Rate limited like one forced refresh: the call takes a single hit on the forced-refresh limiter
(the same bucket ``socialAccountRefresh(force: true)`` spends), because the user asked once and
the work is bounded (one fetch per platform, five at most). A hit per account would refuse a
creator with more accounts than the hourly allowance on the first press; sharing the bucket
means the call is no way around that limit either.

Each provider-connected account is fetched fresh (bypassing and refilling the shared cache),
then stored exactly as ``socialAccountRefresh`` stores it — same states, same errors — by the
ordinary refresh reading that fresh answer. OAuth-connected accounts are read with their
owner's token (resolvers/oauth.py).
Manual accounts have nothing to fetch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, field

from adapters.platforms.errors import ProviderError
from adapters.platforms.types import Platform as ProviderPlatform
from models import Platform, Profile, SocialAccount, SyncSource, User
from resolvers.errors import FieldError, OperationError
from resolvers.limits import enforce_limit
from resolvers.oauth import refresh_oauth_account_stats
from resolvers.platforms import AccountOutcome, accounts_of, refresh_account
from resolvers.services import Services


@dataclass(slots=True)
class PlatformRefresh:
    """One platform's result: the account as stored after the attempt, and what went wrong."""

    platform: Platform
    account: SocialAccount | None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class RefreshAllOutcome:
    results: list[PlatformRefresh]
    profile: Profile


async def refresh_all_accounts(services: Services, user: User) -> RefreshAllOutcome:
    await enforce_limit(
        services.platform_refresh_limiter, f"user:{user.id}", "forced refreshes", ("force",)
    )
    results = []
    for account in await accounts_of(user):
        platform = Platform(account.platform)
        if account.source == SyncSource.OAUTH:
            refreshed = refresh_oauth_account_stats(services, user, platform)
            results.append(await _outcome(platform, account, refreshed))
        elif account.source == SyncSource.PROVIDER and account.handle:
            await _fetch_fresh(services, platform, account.handle)
            refreshed = refresh_account(services, user, platform, force=False)
            results.append(await _outcome(platform, account, refreshed))
    return RefreshAllOutcome(results, await Profile.get(user_id=user.id))


async def _fetch_fresh(services: Services, platform: Platform, handle: str) -> None:
    """Refills the cache with a fresh answer, a failure included (the refresh that reads it
    next turns a failure into the account's state and the user's error)."""
    with contextlib.suppress(ProviderError):
        await services.platforms.lookup(ProviderPlatform(platform.value), handle, refresh=True)


async def _outcome(
    platform: Platform, before: SocialAccount, refresh: Awaitable[AccountOutcome]
) -> PlatformRefresh:
    try:
        outcome = await refresh
    except OperationError as exc:
        await before.refresh_from_db()
        return PlatformRefresh(platform, before, list(exc.errors))
    return PlatformRefresh(platform, outcome.account, outcome.errors)
