"""Platform lookups and provider-connected accounts.

A lookup validates the handle before anything else, then asks the shared, cached
``PlatformLookup``; every provider failure becomes a ``FieldError`` with a code and a sentence
the user can act on. Connecting and refreshing fetch first and only then write, through the one
sync path (``apply_sync``, source PROVIDER) — never holding a transaction open across an HTTP
call. When the provider's quota is used up, the account is still saved (state QUOTA_LIMITED) and
the user is told they can enter their numbers by hand.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters.oauth import OAuthClients
from adapters.platforms.errors import (
    AccountNotFound,
    AccountPrivate,
    PlatformNotConfigured,
    ProviderError,
    ProviderUnauthorized,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.handles import InvalidHandle, normalize_handle
from adapters.platforms.types import CountPrecision, EngagementMethod, PlatformProfile, ProviderName
from adapters.platforms.types import Platform as ProviderPlatform
from models import (
    AccountState,
    OAuthConnection,
    Platform,
    Profile,
    SocialAccount,
    SyncSource,
    User,
)
from resolvers.errors import (
    ErrorCode,
    FieldError,
    OperationError,
    duration_text,
)
from resolvers.limits import enforce_limit
from resolvers.oauth_tokens import open_tokens, revoke_tokens
from resolvers.services import Services
from resolvers.stats_change import StatsChange, change_profile_stats
from resolvers.sync import Provenance, SyncItem, apply_sync

__all__ = [
    "CountPrecision",
    "EngagementMethod",
    "PlatformCapability",
    "PlatformProfile",
    "ProviderName",
]

log = logging.getLogger("creatorgraph.platforms")

LABELS = {
    Platform.TIKTOK: "TikTok",
    Platform.INSTAGRAM: "Instagram",
    Platform.YOUTUBE: "YouTube",
    Platform.TWITCH: "Twitch",
    Platform.TWITTER: "X",
}
_MANUAL_HINT = "you can enter your numbers by hand (socialSync) meanwhile"


@dataclass(frozen=True, slots=True)
class PlatformCapability:
    platform: Platform
    provider_fetch: bool
    providers: tuple[ProviderName, ...]
    summary: str
    manual: bool = True
    oauth: bool = False  # the creator can connect their own account with OAuth


@dataclass(slots=True)
class AccountOutcome:
    """What connecting or refreshing produced: the stored account (possibly only its new state),
    the profile, the fetched stats, and the errors to tell the user."""

    account: SocialAccount | None = None
    profile: Profile | None = None
    fetched: PlatformProfile | None = None
    errors: list[FieldError] = field(default_factory=list)


def capabilities(services: Services, oauth: OAuthClients | None = None) -> list[PlatformCapability]:
    """Each platform's ways in: by hand, from a data provider, and with OAuth where ``oauth``
    (the app's clients) has the platform configured."""
    result = []
    for platform in Platform:
        names = services.platforms.provider_names(ProviderPlatform(platform.value))
        summary = _summary(platform, names)
        connectable = oauth is not None and oauth.configured(platform.value)
        if connectable:
            summary += f" You can also connect your own {LABELS[platform]} account."
        result.append(PlatformCapability(platform, bool(names), names, summary, oauth=connectable))
    return result


def _summary(platform: Platform, names: tuple[ProviderName, ...]) -> str:
    label = LABELS[platform]
    real = [n for n in names if n is not ProviderName.DEMO]
    if not names:
        return f"Manual entry only: no data provider is configured for {label}."
    if not real:
        return (
            f"DEMO: {label} stats are made up by the demo provider (development only); no real "
            "data provider is configured. Numbers can also be entered by hand."
        )
    if len(real) < len(names):
        return (
            f"{label} stats are fetched by handle; when the configured providers cannot "
            "answer, the demo provider makes them up (DEMO, development only)."
        )
    return f"{label} stats are fetched by handle; numbers can also be entered by hand."


def parse_handle(platform: Platform, raw: str) -> str:
    try:
        return normalize_handle(ProviderPlatform(platform.value), raw)
    except InvalidHandle as exc:
        raise OperationError.single(("handle",), str(exc), ErrorCode.INVALID_HANDLE) from exc


async def lookup(
    services: Services, user: User, platform: Platform, raw_handle: str
) -> PlatformProfile:
    """A platform profile by handle or URL, from the cache when fresh."""
    handle = parse_handle(platform, raw_handle)
    return await _fetch(services, user, platform, handle, force=False)


async def connect_account(
    services: Services, user: User, platform: Platform, raw_handle: str
) -> AccountOutcome:
    handle = parse_handle(platform, raw_handle)
    try:
        fetched = await _fetch(services, user, platform, handle, force=False, raw=True)
    except QuotaExhausted as error:
        account, profile = await _mark(services, user, platform, AccountState.QUOTA_LIMITED, handle)
        return AccountOutcome(
            account, profile, None, [provider_failure(error, platform, saved=True)]
        )
    except ProviderError as error:
        raise OperationError([provider_failure(error, platform)]) from error
    return await _store(services, user, platform, fetched)


async def refresh_account(
    services: Services, user: User, platform: Platform, force: bool
) -> AccountOutcome:
    """Fetches the connected account's stats again: from the cache unless ``force``d (which is
    rate limited per user, as it spends provider quota)."""
    account = await SocialAccount.get_or_none(profile__user_id=user.id, platform=platform)
    if account is None or not account.handle:
        raise OperationError.single(
            ("platform",),
            f"Connect your {LABELS[platform]} account by handle first (socialAccountConnect).",
            ErrorCode.NOT_FOUND,
        )
    try:
        fetched = await _fetch(services, user, platform, account.handle, force=force, raw=True)
    except (QuotaExhausted, AccountNotFound, AccountPrivate) as error:
        state = {
            QuotaExhausted: AccountState.QUOTA_LIMITED,
            AccountNotFound: AccountState.NOT_FOUND,
            AccountPrivate: AccountState.PRIVATE,
        }[type(error)]
        stored, profile = await _mark(services, user, platform, state, None)
        saved = isinstance(error, QuotaExhausted)
        return AccountOutcome(
            stored, profile, None, [provider_failure(error, platform, saved=saved)]
        )
    except ProviderError as error:
        raise OperationError([provider_failure(error, platform)]) from error
    return await _store(services, user, platform, fetched)


async def disconnect_account(services: Services, user: User, platform: Platform) -> Profile:
    """Removes the platform from the profile (its history and OAuth tokens included) and
    recomputes the totals. An OAuth grant is revoked at the platform after the delete commits,
    best effort: a platform that fails to answer cannot leave the account half-deleted."""

    async def remove(change: StatsChange) -> tuple[SocialAccount, OAuthConnection | None]:
        account = await SocialAccount.get_or_none(profile_id=change.profile.id, platform=platform)
        if account is None:
            raise OperationError.single(
                ("platform",), f"No {LABELS[platform]} account is connected.", ErrorCode.NOT_FOUND
            )
        connection = await OAuthConnection.get_or_none(account_id=account.id)
        await account.delete()
        change.account_removed(account.id)
        return account, connection

    changed = await change_profile_stats(services, user.id, remove)
    account, connection = changed.result
    if connection is not None and services.token_cipher is not None:
        tokens = open_tokens(services.token_cipher, connection, account)
        await revoke_tokens(services, platform.value, account.id, tokens)
    return changed.profile


async def accounts_of(user: User) -> list[SocialAccount]:
    accounts = await SocialAccount.filter(profile__user_id=user.id)
    order = list(Platform)
    return sorted(accounts, key=lambda a: order.index(Platform(a.platform)))


async def _fetch(
    services: Services,
    user: User,
    platform: Platform,
    handle: str,
    *,
    force: bool,
    raw: bool = False,
) -> PlatformProfile:
    """Rate limits, then the cached lookup. Provider failures are raised as ``ProviderError``
    when ``raw`` (the caller decides what to store), else as ``OperationError``."""
    target = ProviderPlatform(platform.value)
    if not services.platforms.configured(target):
        raise OperationError([provider_failure(PlatformNotConfigured(""), platform)])
    try:
        if force:
            await enforce_limit(
                services.platform_refresh_limiter, f"user:{user.id}", "forced refreshes", ("force",)
            )
        else:
            hit = await services.platforms.cached(target, handle)
            if hit is not None:
                return hit
            # Only what will reach a provider counts against the user's lookups.
            await enforce_limit(services.platform_lookup_limiter, f"user:{user.id}", "lookups")
        return await services.platforms.lookup(target, handle, refresh=force)
    except ProviderError as error:
        if raw:
            raise
        raise OperationError([provider_failure(error, platform)]) from error


async def _store(
    services: Services, user: User, platform: Platform, fetched: PlatformProfile
) -> AccountOutcome:
    current = await SocialAccount.get_or_none(profile__user_id=user.id, platform=platform)
    if (
        current is not None
        and current.state == AccountState.READY
        and current.handle == fetched.handle
        and current.provider == fetched.provider.value
        and current.fetched_at == fetched.fetched_at
    ):
        # The cached answer is the one already stored: no new snapshot for the same numbers.
        profile = await Profile.get(user_id=user.id)
        return AccountOutcome(current, profile, fetched, [])
    outcome = await apply_sync(
        services,
        user.id,
        [sync_item(platform, fetched)],
        source=SyncSource.PROVIDER,
        batch=False,
    )
    return AccountOutcome(outcome.results[0].account, outcome.profile, fetched, [])


def sync_item(platform: Platform, fetched: PlatformProfile) -> SyncItem:
    """A fetched profile as the one sync path takes it (provider and OAuth fetches alike)."""
    return SyncItem(
        platform=platform,
        # A hidden count is stored as 0 beside precision HIDDEN (the column is not nullable); the
        # API shows it as null.
        followers=fetched.followers if fetched.followers is not None else 0,
        engagement=fetched.engagement.rate,
        handle=_clip(fetched.handle, 100),
        provenance=Provenance(
            provider=fetched.provider.value,
            fetched_at=fetched.fetched_at,
            count_precision=fetched.precision.value,
            engagement_method=fetched.engagement.method.value,
            platform_user_id=_clip(fetched.platform_user_id, 100),
            display_name=_clip(fetched.display_name, 200),
            # A link cut short would be broken: one too long for the column is dropped.
            avatar_url=fetched.avatar_url if len(fetched.avatar_url or "") <= 2048 else None,
            verified=fetched.verified,
            following=fetched.following,
            content_count=fetched.content_count,
            total_likes=fetched.total_likes,
            total_views=fetched.total_views,
            posts=fetched.posts,
        ),
    )


async def _mark(
    services: Services,
    user: User,
    platform: Platform,
    state: AccountState,
    handle: str | None,
) -> tuple[SocialAccount, Profile]:
    """Records an account's state without new numbers (no snapshot). A new account starts at 0
    followers; either way the account's state is something the profile shows, so it goes
    through the stats tail and is announced."""

    async def mark(change: StatsChange) -> SocialAccount:
        account = await SocialAccount.get_or_none(profile_id=change.profile.id, platform=platform)
        if account is None:
            account = await SocialAccount.create(
                profile=change.profile,
                platform=platform,
                handle=handle,
                followers=0,
                source=SyncSource.PROVIDER,
                state=state,
                synced_at=change.now,
            )
            change.account_written(account, created=True)
            return account
        account.state = state
        if handle is not None:
            account.handle = handle
        await account.save(update_fields=["state", "handle"])
        change.account_written(account)
        return account

    changed = await change_profile_stats(services, user.id, mark)
    return changed.result, changed.profile


def _clip(text: str | None, limit: int) -> str | None:
    """Fits provider text to its column (PostgreSQL refuses longer values)."""
    return None if text is None else text[:limit]


def provider_failure(
    error: ProviderError, platform: Platform, *, saved: bool = False
) -> FieldError:
    """The one translation of a provider failure into what the user reads."""
    label = LABELS[platform]
    if isinstance(error, PlatformNotConfigured):
        return FieldError(
            ("platform",),
            f"{label} stats cannot be fetched on this server: enter your numbers by hand "
            "(socialSync).",
            ErrorCode.NOT_CONFIGURED,
        )
    if isinstance(error, AccountNotFound):
        return FieldError(
            ("handle",),
            f"{error.message} Check the handle, or enter your numbers by hand.",
            ErrorCode.NOT_FOUND,
        )
    if isinstance(error, AccountPrivate):
        return FieldError(
            ("handle",),
            f"{error.message} Its stats cannot be fetched: make it public, or enter your "
            "numbers by hand.",
            ErrorCode.PRIVATE,
        )
    if isinstance(error, QuotaExhausted):
        until = f" until {_when(error.retry_at)}" if error.retry_at else ""
        prefix = f"Your {label} account was saved, but our" if saved else "Our"
        return FieldError(
            None,
            f"{prefix} {label} data provider's quota is used up{until}; {_MANUAL_HINT}.",
            ErrorCode.QUOTA_EXCEEDED,
        )
    if isinstance(error, RateLimited):
        return FieldError(
            None,
            f"Our {label} data provider is busy. Try again in {_in(error.retry_at, 60)}.",
            ErrorCode.RATE_LIMITED,
        )
    if isinstance(error, ProviderUnauthorized):
        log.error("%s provider %s refused our credentials: %s", label, error.provider, error)
        return FieldError(
            None,
            f"Fetching {label} stats is not set up correctly on this server; {_MANUAL_HINT}.",
            ErrorCode.PROVIDER_MISCONFIGURED,
        )
    return FieldError(
        None,
        f"Our {label} data provider is not answering right now. Try again in "
        f"{_in(error.retry_at, 60)}, or enter your numbers by hand.",
        ErrorCode.PROVIDER_UNAVAILABLE,
    )


def _in(when: datetime | None, default_seconds: int) -> str:
    if when is None:
        return duration_text(default_seconds)
    return duration_text(max(1, math.ceil((when - datetime.now(UTC)).total_seconds())))


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
