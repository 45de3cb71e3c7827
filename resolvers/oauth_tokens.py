"""The tokens of OAuth-connected accounts: sealing and opening them, refreshing them one at a
time per account across instances, revoking them, and re-sealing them under a new key.

Refresh never holds a transaction across the HTTP call. It claims the account with a conditional
UPDATE of ``refreshing_until`` (only one instance's UPDATE matches; a claim left by a crashed
instance lapses after ``CLAIM_SECONDS``), calls the platform, then writes the new tokens and
clears the claim. A refused refresh (``invalid_grant``) reads the row again before giving up: a
sibling whose claim had lapsed may have rotated the token meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Q

from adapters.oauth import InvalidGrant, OAuthFailure, PlatformOAuth, TokenRejected, TokenSet
from adapters.token_cipher import TokenCipher
from models import AccountState, OAuthConnection, OAuthState, Platform, SocialAccount
from resolvers.notifications import notify_account_disconnected
from resolvers.services import Services
from resolvers.stats_change import StatsChange, change_profile_stats

log = logging.getLogger("creatorgraph.oauth")

CLAIM_SECONDS = 60
# How long before expiry an access token is refreshed (OAUTH.md's lifetimes): a fair share of
# each lifetime, so a sync about to call the API never starts with a token about to lapse.
REFRESH_AHEAD = {
    Platform.TIKTOK: timedelta(hours=2),  # 24 h tokens
    Platform.YOUTUBE: timedelta(minutes=10),  # ~1 h
    Platform.TWITCH: timedelta(minutes=30),  # ~4 h
    Platform.INSTAGRAM: timedelta(days=7),  # 60-day long-lived token, refreshed itself
    Platform.TWITTER: timedelta(minutes=15),  # 2 h
}


class RefreshResult(StrEnum):
    REFRESHED = "REFRESHED"  # new tokens stored (by this call or a sibling meanwhile)
    BUSY = "BUSY"  # another refresh of the account is in flight
    DISCONNECTED = "DISCONNECTED"  # the platform revoked the grant; the owner was told
    FAILED = "FAILED"  # the platform did not answer usefully; try again later
    GONE = "GONE"  # no OAuth connection (disconnected or deleted)


@dataclass(frozen=True, slots=True)
class OpenTokens:
    access_token: str
    refresh_token: str | None


def associated_data(account_id: int, platform: str, slot: str) -> str:
    """The row identity a token is sealed to: moved to another row or slot, it will not open."""
    return f"SocialAccount:{account_id}:{platform}:{slot}"


def cipher_of(services: Services) -> TokenCipher:
    if services.token_cipher is None:
        raise RuntimeError("OAuth is configured without TOKEN_KEYS (settings.py prevents this)")
    return services.token_cipher


def sealed_fields(
    cipher: TokenCipher, account: SocialAccount, tokens: TokenSet, keep_refresh: str | None
) -> dict[str, object]:
    """The columns of a connection holding ``tokens``; ``keep_refresh`` is the plaintext
    refresh token to keep when the platform sent no new one (Google)."""
    now = datetime.now(UTC)
    platform = str(account.platform)
    refresh = tokens.refresh_token or keep_refresh
    return {
        "access_token": cipher.seal(
            tokens.access_token, associated_data(account.id, platform, "access")
        ),
        "refresh_token": None
        if refresh is None
        else cipher.seal(refresh, associated_data(account.id, platform, "refresh")),
        "access_expires_at": None
        if tokens.expires_in is None
        else now + timedelta(seconds=tokens.expires_in),
        "refresh_expires_at": None
        if tokens.refresh_expires_in is None
        else now + timedelta(seconds=tokens.refresh_expires_in),
        "scope": None if tokens.scope is None else tokens.scope[:500],
    }


def open_tokens(
    cipher: TokenCipher, connection: OAuthConnection, account: SocialAccount
) -> OpenTokens:
    platform = str(account.platform)
    return OpenTokens(
        cipher.open(connection.access_token, associated_data(account.id, platform, "access")),
        None
        if connection.refresh_token is None
        else cipher.open(
            connection.refresh_token, associated_data(account.id, platform, "refresh")
        ),
    )


def client_for(services: Services, account: SocialAccount) -> PlatformOAuth | None:
    return services.oauth.get(str(account.platform))


async def refresh_oauth_account(services: Services, account_id: int) -> RefreshResult:
    """Refreshes one account's tokens, unless another refresh of it is in flight."""
    now = datetime.now(UTC)
    claimed = await OAuthConnection.filter(
        Q(refreshing_until__isnull=True) | Q(refreshing_until__lt=now), account_id=account_id
    ).update(refreshing_until=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        exists = await OAuthConnection.exists(account_id=account_id)
        return RefreshResult.BUSY if exists else RefreshResult.GONE
    connection = await OAuthConnection.get_or_none(account_id=account_id).select_related("account")
    if connection is None:
        return RefreshResult.GONE
    try:
        return await _refresh_claimed(services, connection)
    finally:
        await OAuthConnection.filter(id=connection.id).update(refreshing_until=None)


async def _refresh_claimed(services: Services, connection: OAuthConnection) -> RefreshResult:
    account = connection.account
    client = client_for(services, account)
    if client is None:
        return RefreshResult.FAILED  # the platform's OAuth is no longer configured here
    cipher = cipher_of(services)
    tokens = open_tokens(cipher, connection, account)
    grant = tokens.access_token if client.refreshes_access_token else tokens.refresh_token
    if grant is None:
        # Nothing to refresh with (Google sent no refresh token): the owner must reconnect.
        await mark_disconnected(services, account, "no refresh token")
        return RefreshResult.DISCONNECTED
    try:
        fresh = await client.refresh(grant)
    except (InvalidGrant, TokenRejected) as error:
        current = await OAuthConnection.get_or_none(id=connection.id)
        if current is None:
            return RefreshResult.GONE
        if current.refresh_token != connection.refresh_token or (
            current.access_token != connection.access_token
        ):
            return RefreshResult.REFRESHED  # a sibling rotated it while our claim had lapsed
        await mark_disconnected(services, account, error.code)
        return RefreshResult.DISCONNECTED
    except OAuthFailure as error:
        log.warning("refreshing %s account %s failed: %s", account.platform, account.id, error.code)
        return RefreshResult.FAILED
    keep = None if client.refreshes_access_token else tokens.refresh_token
    await OAuthConnection.filter(id=connection.id).update(
        **sealed_fields(cipher, account, fresh, keep), refreshed_at=datetime.now(UTC)
    )
    return RefreshResult.REFRESHED


async def refresh_expiring_tokens(services: Services, within: timedelta | None = None) -> int:
    """Refreshes every connection whose access token expires within ``within`` (by default each
    platform's ``REFRESH_AHEAD``). Returns how many were refreshed. For the job engine."""
    now = datetime.now(UTC)
    horizon = max([within or timedelta(0), *REFRESH_AHEAD.values()])
    candidates = await OAuthConnection.filter(access_expires_at__lt=now + horizon).select_related(
        "account"
    )
    refreshed = 0
    for connection in candidates:
        platform = Platform(connection.account.platform)
        ahead = within or REFRESH_AHEAD[platform]
        expires = connection.access_expires_at
        if expires is None or expires > now + ahead:
            continue
        if await refresh_oauth_account(services, connection.account.id) is RefreshResult.REFRESHED:
            refreshed += 1
    return refreshed


async def delete_expired_oauth_states(services: Services) -> int:
    """Removes authorizations started but never finished. For the job engine."""
    return await OAuthState.filter(expires_at__lt=datetime.now(UTC)).delete()


async def mark_disconnected(services: Services, account: SocialAccount, reason: str) -> None:
    """The platform no longer honours the grant: the account keeps its numbers and history but
    is DISCONNECTED, its dead tokens are dropped, and its owner is told to reconnect."""

    async def mark(change: StatsChange) -> bool:
        current = await SocialAccount.get_or_none(id=account.id, profile_id=change.profile.id)
        if current is None:
            return False
        current.state = AccountState.DISCONNECTED
        await current.save(update_fields=["state"])
        await OAuthConnection.filter(account_id=current.id).delete()
        change.account_written(current)
        return True

    profile = await account.profile
    log.info(
        "%s account %s disconnected by the platform (%s)", account.platform, account.id, reason
    )
    user_id: int = profile.user_id
    changed = await change_profile_stats(services, user_id, mark)
    if changed.result:
        await notify_account_disconnected(services, user_id, str(account.platform), profile.id)


async def revoke_tokens(
    services: Services, platform: str, account_id: int, tokens: OpenTokens
) -> None:
    """Best effort, after the local delete committed: a platform that does not answer leaves
    a grant the user can still remove in the platform's settings, never a half-deleted account."""
    client = services.oauth.get(platform)
    if client is None:
        return
    token, hint = (
        (tokens.refresh_token, "refresh_token")
        if tokens.refresh_token and not client.refreshes_access_token
        else (tokens.access_token, "access_token")
    )
    try:
        await client.revoke(token, hint)
    except OAuthFailure as error:
        log.warning(
            "revoking %s account %s at the platform failed: %s", platform, account_id, error.code
        )


async def rotate_token_keys(cipher: TokenCipher) -> int:
    """Re-seals every stored token under the first key of TOKEN_KEYS. Each row is rewritten only
    if unchanged since it was read (a refresh meanwhile already sealed it under the new key).
    Returns how many rows were re-sealed."""
    rotated = 0
    for connection in await OAuthConnection.all().select_related("account"):
        if cipher.sealed_with_current(connection.access_token) and (
            connection.refresh_token is None or cipher.sealed_with_current(connection.refresh_token)
        ):
            continue
        account = connection.account
        platform = str(account.platform)
        tokens = open_tokens(cipher, connection, account)
        updated = await OAuthConnection.filter(
            id=connection.id, access_token=connection.access_token
        ).update(
            access_token=cipher.seal(
                tokens.access_token, associated_data(account.id, platform, "access")
            ),
            refresh_token=None
            if tokens.refresh_token is None
            else cipher.seal(
                tokens.refresh_token, associated_data(account.id, platform, "refresh")
            ),
        )
        rotated += updated
    return rotated
