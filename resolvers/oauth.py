"""Connecting a creator's own account with OAuth: ``authorize`` starts the flow, ``complete``
finishes it when the platform redirects the browser back, and ``sync_oauth_account`` reads the
account's numbers again with its token.

The flow is single use, ten minutes long and bound to the user who asked for it — and to the
browser that starts it. The callback is a browser redirect without a bearer token, so without
the second binding a user could start a flow, send its URL to someone else, and have *their*
account (and its tokens) land on his own creatorgraph account when they consent (login CSRF).
So ``authorize`` hands out a URL on this server (``/oauth/start/{platform}?flow=…``); ``start``
spends the flow id, gives the browser a random secret in a cookie, keeps its hash, and only
then sends the browser to the platform with a fresh state. The callback requires that cookie.
The frontend opens the URL in the same browser as before, so nothing changes for it. Only
hashes are stored. The callback spends the state before anything else, so a replay finds
nothing. The
code exchange and the stats call happen before any write; the account, its snapshot and its
sealed tokens are then stored together through the one stats path (source OAUTH), so a failure
at any step stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from adapters.oauth import (
    OAuthFailure,
    OAuthUnavailable,
    PlatformOAuth,
    TokenRejected,
    TokenSet,
)
from adapters.platforms.types import PlatformProfile
from models import OAuthConnection, OAuthState, Platform, SocialAccount, SyncSource, User
from resolvers.errors import ErrorCode, OperationError, RateLimitedError
from resolvers.oauth_tokens import (
    REFRESH_AHEAD,
    RefreshResult,
    cipher_of,
    mark_disconnected,
    open_tokens,
    refresh_oauth_account,
    sealed_fields,
)
from resolvers.platforms import LABELS, AccountOutcome, refresh_account, sync_item
from resolvers.services import Services
from resolvers.stats_change import StatsChange
from resolvers.sync import ItemResult, SyncOutcome, apply_sync

log = logging.getLogger("creatorgraph.oauth")


# Platform error codes passed on to the result page as they are; any other becomes "refused"
# (the page shows a code of ours, never text the platform chose).
_FORWARDED = {
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "invalid_request",
    "invalid_scope",
    "invalid_token",
    "no_channel",
    "no_user",
}


class CallbackError(Exception):
    """Why a callback stored nothing: ``code`` goes to OAUTH_RESULT_URL as ``code=…``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Connected:
    platform: Platform
    account: SocialAccount


@dataclass(frozen=True, slots=True)
class Started:
    """A flow the browser has started: where to send it, and the secret for its cookie."""

    platform: Platform
    authorization_url: str
    binding: str


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_url(redirect_uri: str, platform: Platform, flow: str) -> str:
    """``{OAUTH_REDIRECT_BASE_URL}/oauth/start/{platform}?flow=…``; the redirect URI is
    ``{OAUTH_REDIRECT_BASE_URL}/oauth/callback/{platform}`` (settings.OAuthSettings)."""
    base = redirect_uri.rsplit("/oauth/callback/", 1)[0]
    return f"{base}/oauth/start/{platform.value.lower()}?{urlencode({'flow': flow})}"


def oauth_available(services: Services, platform: Platform) -> bool:
    return services.oauth.configured(platform.value)


async def authorize(services: Services, user: User, platform: Platform) -> str:
    """The URL that starts a flow for ``user`` in the browser that opens it (``start``)."""
    client = services.oauth.get(platform.value)
    if client is None:
        raise OperationError.single(
            ("platform",),
            f"Connecting {LABELS[platform]} with OAuth is not set up on this server.",
            ErrorCode.NOT_CONFIGURED,
        )
    flow = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if client.pkce else None  # 86 characters (43–128)
    await OAuthState.create(
        state_hash=state_hash(secrets.token_urlsafe(32)),  # given to nobody: not started yet
        flow_hash=state_hash(flow),
        user_id=user.id,
        platform=platform,
        code_verifier=verifier,
        expires_at=datetime.now(UTC) + timedelta(seconds=services.oauth_state_seconds),
    )
    return start_url(client.redirect_uri, platform, flow)


async def start(services: Services, platform_name: str, flow: str) -> Started:
    """``GET /oauth/start/{platform}?flow=…``: spends the flow id (a second start finds
    nothing), binds the flow to a fresh secret for this browser's cookie, and gives the
    platform's authorization URL with a fresh state. Raises ``CallbackError`` otherwise."""
    try:
        platform = Platform(platform_name.upper())
    except ValueError:
        raise CallbackError("unknown_platform") from None
    client = services.oauth.get(platform.value)
    if client is None:
        raise CallbackError("not_configured")
    if not flow:
        raise CallbackError("invalid_state")
    pending = await OAuthState.get_or_none(
        flow_hash=state_hash(flow), platform=platform, binding_hash__isnull=True
    )
    if pending is None:
        raise CallbackError("invalid_state")
    if pending.expires_at <= datetime.now(UTC):
        raise CallbackError("expired_state")
    state, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    # The conditional update is the spending: of two starts with one flow id, one binds it.
    bound = await OAuthState.filter(id=pending.id, binding_hash__isnull=True).update(
        state_hash=state_hash(state), binding_hash=state_hash(binding), flow_hash=None
    )
    if not bound:
        raise CallbackError("invalid_state")
    return Started(platform, client.authorization_url(state, pending.code_verifier), binding)


async def complete(
    services: Services, platform_name: str, params: Mapping[str, str], binding: str | None
) -> Connected:
    """Finishes a flow from the platform's redirect in the browser that started it (``binding``
    is its cookie's secret); raises ``CallbackError`` having stored nothing (except that the
    state, once presented, is spent)."""
    try:
        platform = Platform(platform_name.upper())
    except ValueError:
        raise CallbackError("unknown_platform") from None
    pending = await _spend_state(params.get("state") or "", platform, binding)
    if params.get("error"):
        raise CallbackError("access_denied" if params["error"] == "access_denied" else "refused")
    code = params.get("code") or ""
    if not code:
        raise CallbackError("invalid_request")
    client = services.oauth.get(platform.value)
    if client is None:
        raise CallbackError("not_configured")
    tokens: TokenSet | None = None
    try:
        tokens = await client.exchange(code, pending.code_verifier)
        fetched = await client.own_stats(tokens.access_token)
    except OAuthFailure as error:
        if tokens is not None:  # granted, but we store nothing: give the grant back
            await _revoke_quietly(client, tokens)
        if isinstance(error, OAuthUnavailable):
            log.warning("%s OAuth callback: platform unavailable (%s)", platform, error.description)
            raise CallbackError("platform_unavailable") from None
        log.info("%s OAuth callback refused: %s", platform, error.code)
        raise CallbackError(error.code if error.code in _FORWARDED else "refused") from None
    user_id: int = pending.user_id  # type: ignore[attr-defined]  # Tortoise's FK id column
    try:
        outcome = await _store(services, user_id, platform, tokens, fetched)
    except CallbackError:
        await _revoke_quietly(client, tokens)
        raise
    account = outcome.results[0].account
    assert account is not None
    return Connected(platform, account)


async def _revoke_quietly(client: PlatformOAuth, tokens: TokenSet) -> None:
    try:
        await client.revoke(tokens.refresh_token or tokens.access_token)
    except OAuthFailure as error:
        log.info("%s: revoking an unused grant failed: %s", client.platform, error.code)


async def _spend_state(state: str, platform: Platform, binding: str | None) -> OAuthState:
    if not state:
        raise CallbackError("invalid_state")
    pending = await OAuthState.get_or_none(state_hash=state_hash(state))
    # Deleting is the spending: of two concurrent callbacks with one state, one deletes it.
    if pending is None or not await OAuthState.filter(id=pending.id).delete():
        raise CallbackError("invalid_state")
    if pending.platform != platform:
        raise CallbackError("invalid_state")
    if pending.expires_at <= datetime.now(UTC):
        raise CallbackError("expired_state")
    if not _same_browser(pending.binding_hash, binding):
        log.info("%s OAuth callback refused: not the browser that started the flow", platform)
        raise CallbackError("invalid_state")
    return pending


def _same_browser(binding_hash: str | None, binding: str | None) -> bool:
    if binding_hash is None or not binding:
        return False
    return hmac.compare_digest(state_hash(binding), binding_hash)


async def _store(
    services: Services, user_id: int, platform: Platform, tokens: TokenSet, fetched: PlatformProfile
) -> SyncOutcome:
    cipher = cipher_of(services)

    async def store_tokens(change: StatsChange, results: list[ItemResult]) -> None:
        account = results[0].account
        assert account is not None
        fields = sealed_fields(cipher, account, tokens, None)
        updated = await OAuthConnection.filter(account_id=account.id).update(
            **fields, refreshing_until=None, refreshed_at=change.now
        )
        if not updated:
            await OAuthConnection(account=account, refreshed_at=change.now, **fields).save()

    try:
        return await apply_sync(
            services,
            user_id,
            [sync_item(platform, fetched)],
            source=SyncSource.OAUTH,
            batch=False,
            after_store=store_tokens,
        )
    except OperationError:
        raise CallbackError("invalid_stats") from None


async def fetch_oauth_stats(
    services: Services, account_id: int
) -> tuple[SocialAccount, PlatformProfile] | None:
    """Reads an OAuth-connected account's numbers with its own token (refreshed first when it
    is about to lapse, and once more on a 401), writing nothing but the tokens. None when the
    account has no usable connection (it is then DISCONNECTED and its owner told)."""
    for attempt in range(2):
        connection = await OAuthConnection.get_or_none(account_id=account_id).select_related(
            "account"
        )
        if connection is None:
            return None
        account = connection.account
        client = services.oauth.get(str(account.platform))
        if client is None:
            return None
        if attempt == 0 and _expiring(connection, Platform(account.platform)):
            await refresh_oauth_account(services, account_id)
            continue
        tokens = open_tokens(cipher_of(services), connection, account)
        try:
            return account, await client.own_stats(tokens.access_token)
        except TokenRejected:
            if attempt == 0 and await _refresh_after_401(services, account_id):
                continue
            await mark_disconnected(services, account, "token rejected")
            return None
    return None


async def sync_oauth_account(
    services: Services, account_id: int, *, initiated_by: int | None = None
) -> SyncOutcome | None:
    """Reads an OAuth-connected account's numbers again (``fetch_oauth_stats``), then stores
    them through the one stats path. None when the account has no usable connection."""
    fetched = await fetch_oauth_stats(services, account_id)
    if fetched is None:
        return None
    account, stats = fetched
    return await _resync(services, account, stats, initiated_by)


async def scheduled_oauth_fetch(
    services: Services, account: SocialAccount
) -> PlatformProfile | None:
    """The scheduled refresh's read of an OAuth account: fetch only, since the scheduler writes
    through the stats path itself (as SYSTEM) and records failures on the account."""
    fetched = await fetch_oauth_stats(services, account.id)
    return None if fetched is None else fetched[1]


async def refresh_oauth_account_stats(
    services: Services, user: User, platform: Platform
) -> AccountOutcome:
    """Reads the user's OAuth-connected ``platform`` account again with its own token and stores
    it, without a rate-limit hit of its own (the caller, ``socialAccountRefreshAll``, took one
    for the whole call)."""
    connection = await OAuthConnection.get_or_none(
        account__profile__user_id=user.id, account__platform=platform
    )
    outcome = None
    if connection is not None:
        account_id: int = connection.account_id  # type: ignore[attr-defined]  # the FK id column
        outcome = await sync_oauth_account(services, account_id)
    if outcome is None:
        raise OperationError.single(
            ("platform",),
            f"{LABELS[platform]} no longer lets us read your account: connect it again "
            "(socialAccountAuthorize).",
            ErrorCode.NOT_FOUND,
        )
    return AccountOutcome(outcome.results[0].account, outcome.profile, None, [])


async def refresh_connected_account(
    services: Services, user: User, platform: Platform, force: bool
) -> AccountOutcome:
    """``socialAccountRefresh``: an OAuth-connected account is read again with its own token
    (each read is a platform call, so it counts against the user's lookups, or their forced
    refreshes when ``force``d); any other account goes to its data provider."""
    if not await OAuthConnection.exists(
        account__profile__user_id=user.id, account__platform=platform
    ):
        return await refresh_account(services, user, platform, force)
    limiter = services.platform_refresh_limiter if force else services.platform_lookup_limiter
    retry_after = await limiter.hit(f"user:{user.id}")
    if retry_after is not None:
        raise RateLimitedError(retry_after, "forced refreshes" if force else "lookups")
    return await refresh_oauth_account_stats(services, user, platform)


def _expiring(connection: OAuthConnection, platform: Platform) -> bool:
    expires = connection.access_expires_at
    return expires is not None and expires <= datetime.now(UTC) + REFRESH_AHEAD[platform]


async def _refresh_after_401(services: Services, account_id: int) -> bool:
    result = await refresh_oauth_account(services, account_id)
    return result in (RefreshResult.REFRESHED, RefreshResult.BUSY)


async def _resync(
    services: Services,
    account: SocialAccount,
    fetched: PlatformProfile,
    initiated_by: int | None,
) -> SyncOutcome:
    profile = await account.profile
    user_id: int = profile.user_id
    return await apply_sync(
        services,
        user_id,
        [sync_item(Platform(account.platform), fetched)],
        source=SyncSource.OAUTH,
        batch=False,
        initiated_by=initiated_by,
    )
