"""OAuth connect when something is wrong: bad states, refusals, spent codes, failing token
endpoints, racing and refused refreshes, revoked tokens, key configuration and rotation."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from adapters.token_cipher import TokenCipher
from models import (
    AccountState,
    Notification,
    NotificationType,
    OAuthConnection,
    OAuthState,
    SocialAccount,
    StatsSnapshot,
)
from resolvers.oauth import sync_oauth_account
from resolvers.oauth_tokens import (
    RefreshResult,
    delete_expired_oauth_states,
    refresh_expiring_tokens,
    refresh_oauth_account,
    rotate_token_keys,
)
from settings import Settings, SettingsError
from tests.conftest import Account, GraphQLClient, register, server_environment
from tests.fakes.server import Reply
from tests.oauth_support import (
    KEY_1,
    KEY_2,
    USER_BROWSER,
    OAuthInstance,
    authorization_url,
    fake_user,
    open_in,
    outcome,
    through_browser,
)


async def nothing_stored(me: Account, platform: str) -> bool:
    return not await SocialAccount.exists(profile__user__email=me.email, platform=platform)


async def consented(oauth: OAuthInstance, ogql: GraphQLClient, me: Account, platform: str) -> str:
    """The callback URL the platform sends the browser to, not yet followed."""
    oauth.fake(platform).consent_as(fake_user("creator"))
    url = await authorization_url(ogql, me.access_token, platform)
    consent = await open_in(USER_BROWSER, url)
    assert consent.status_code == 302
    return consent.headers["location"].split("#")[0]


async def follow(url: str) -> dict[str, str]:
    return outcome(await open_in(USER_BROWSER, url))


def with_param(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    query = {k: v for k, v in query.items() if v != ""}
    return parts._replace(query=urlencode(query)).geturl()


async def connected(
    oauth: OAuthInstance, ogql: GraphQLClient, platform: str
) -> tuple[Account, int]:
    me = await register(ogql)
    result = await follow(await consented(oauth, ogql, me, platform))
    assert result["result"] == "connected"
    account = await SocialAccount.get(profile__user__email=me.email, platform=platform)
    return me, account.id


@pytest.mark.parametrize("state", ["", "not-a-state-we-issued"])
async def test_callback_without_a_state_we_issued_stores_nothing(
    oauth: OAuthInstance, ogql: GraphQLClient, state: str
) -> None:
    me = await register(ogql)
    url = with_param(await consented(oauth, ogql, me, "TWITTER"), state=state)
    assert await follow(url) == {
        "tab": "connected",
        "platform": "twitter",
        "result": "error",
        "code": "invalid_state",
    }
    assert await nothing_stored(me, "TWITTER")


async def test_expired_state_stores_nothing(oauth: OAuthInstance, ogql: GraphQLClient) -> None:
    me = await register(ogql)
    url = await consented(oauth, ogql, me, "TIKTOK")
    await OAuthState.filter(user__email=me.email).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await follow(url))["code"] == "expired_state"
    assert await nothing_stored(me, "TIKTOK")


async def test_state_is_single_use_and_lands_on_the_user_who_asked(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me, other = await register(ogql), await register(ogql)
    url = await consented(oauth, ogql, me, "YOUTUBE")
    assert (await follow(url))["result"] == "connected"
    assert (await follow(url))["code"] == "invalid_state"  # replayed
    account = await SocialAccount.get(profile__user__email=me.email, platform="YOUTUBE")
    assert await StatsSnapshot.filter(account_id=account.id).count() == 1
    assert await nothing_stored(other, "YOUTUBE")


async def test_state_of_another_platform_stores_nothing(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    url = await consented(oauth, ogql, me, "TIKTOK")
    stolen = url.replace("/oauth/callback/tiktok", "/oauth/callback/twitch")
    assert (await follow(stolen))["code"] == "invalid_state"
    assert await nothing_stored(me, "TWITCH") and await nothing_stored(me, "TIKTOK")


async def test_user_who_refuses_consent_gets_access_denied(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    oauth.fake("INSTAGRAM").refuse_consent()
    _, callback = await through_browser(await authorization_url(ogql, me.access_token, "INSTAGRAM"))
    assert outcome(callback)["code"] == "access_denied"
    assert await nothing_stored(me, "INSTAGRAM")
    assert not await OAuthState.exists(user__email=me.email)  # spent


async def test_code_exchanged_twice_is_refused(oauth: OAuthInstance, ogql: GraphQLClient) -> None:
    me = await register(ogql)
    first = await consented(oauth, ogql, me, "TWITCH")
    assert (await follow(first))["result"] == "connected"
    # A second flow's fresh state, carrying the first flow's (spent) code.
    second = await consented(oauth, ogql, me, "TWITCH")
    code = parse_qs(urlsplit(first).query)["code"][0]
    assert (await follow(with_param(second, code=code)))["code"] == "invalid_grant"
    account = await SocialAccount.get(profile__user__email=me.email, platform="TWITCH")
    assert await StatsSnapshot.filter(account_id=account.id).count() == 1


@pytest.mark.parametrize(
    "reply",
    [Reply(status=500, json={"error": "server_error"}), Reply(status=200, json={}, delay=2.0)],
    ids=["500", "timeout"],
)
async def test_token_endpoint_failing_mid_exchange_stores_nothing(
    oauth: OAuthInstance, ogql: GraphQLClient, reply: Reply
) -> None:
    me = await register(ogql)
    url = await consented(oauth, ogql, me, "TIKTOK")
    oauth.fake("TIKTOK").script("token", reply)
    assert (await follow(url))["code"] == "platform_unavailable"
    assert await nothing_stored(me, "TIKTOK")


async def test_google_account_without_a_channel_stores_nothing_and_gives_the_grant_back(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    fake = oauth.fake("YOUTUBE")
    who = fake_user("viewer")
    who.has_channel = False
    fake.consent_as(who)
    _, callback = await through_browser(await authorization_url(ogql, me.access_token, "YOUTUBE"))
    assert outcome(callback)["code"] == "no_channel"
    assert await nothing_stored(me, "YOUTUBE")
    assert fake.live_tokens(who) == []  # revoked


async def test_tokens_about_to_expire_are_refreshed_ahead(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    _, account_id = await connected(oauth, ogql, "TIKTOK")
    soon = datetime.now(UTC) + timedelta(minutes=30)  # TikTok's are refreshed 2 h ahead
    await OAuthConnection.filter(account_id=account_id).update(access_expires_at=soon)
    assert await refresh_expiring_tokens(oauth.services) >= 1
    connection = await OAuthConnection.get(account_id=account_id)
    assert connection.access_expires_at is not None
    assert connection.access_expires_at > datetime.now(UTC) + timedelta(hours=23)


async def test_two_refreshes_of_one_account_race_and_one_calls_the_platform(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    _, account_id = await connected(oauth, ogql, "TWITTER")
    fake = oauth.fake("TWITTER")
    before = fake.refreshes
    fake.delays["token"] = 0.3
    try:
        # Two instances' services over the one database.
        sibling = dataclasses.replace(oauth.services)
        results = await asyncio.gather(
            refresh_oauth_account(oauth.services, account_id),
            refresh_oauth_account(sibling, account_id),
        )
    finally:
        fake.delays.pop("token")
    assert sorted(results) == [RefreshResult.BUSY, RefreshResult.REFRESHED]
    assert fake.refreshes == before + 1
    # The single-use refresh token was rotated, and the stored one still works.
    assert await refresh_oauth_account(oauth.services, account_id) is RefreshResult.REFRESHED


async def test_invalid_grant_disconnects_the_account_and_tells_its_owner(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me, account_id = await connected(oauth, ogql, "TIKTOK")
    fake = oauth.fake("TIKTOK")
    for user in {i.user.user_id: i.user for i in fake.tokens.values()}.values():
        if await SocialAccount.filter(id=account_id, platform_user_id=user.user_id).exists():
            fake.revoke_all(user)
    assert await refresh_oauth_account(oauth.services, account_id) is RefreshResult.DISCONNECTED
    account = await SocialAccount.get(id=account_id)
    assert account.state == AccountState.DISCONNECTED and account.followers > 0
    assert not await OAuthConnection.exists(account_id=account_id)
    note = await Notification.get(recipient__email=me.email)
    assert note.type == NotificationType.SOCIAL_ACCOUNT_DISCONNECTED
    # Connecting again makes it READY.
    assert (await follow(await consented(oauth, ogql, me, "TIKTOK")))["result"] == "connected"
    assert (await SocialAccount.get(id=account_id)).state == AccountState.READY


async def test_expired_access_token_on_the_stats_call_is_refreshed_once(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    _, account_id = await connected(oauth, ogql, "YOUTUBE")
    fake = oauth.fake("YOUTUBE")
    for token, issued in list(fake.tokens.items()):
        if issued.kind == "access":
            fake.expire(token)  # the platform now answers 401 to every issued access token
    outcome_ = await sync_oauth_account(oauth.services, account_id)
    assert outcome_ is not None and outcome_.count == 1
    assert await StatsSnapshot.filter(account_id=account_id).count() == 2


async def test_revoked_grant_on_the_stats_call_disconnects(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    _, account_id = await connected(oauth, ogql, "INSTAGRAM")
    fake = oauth.fake("INSTAGRAM")
    account = await SocialAccount.get(id=account_id)
    for issued in list(fake.tokens.values()):
        if issued.user.user_id == account.platform_user_id:
            fake.revoke_all(issued.user)
    assert await sync_oauth_account(oauth.services, account_id) is None
    assert (await SocialAccount.get(id=account_id)).state == AccountState.DISCONNECTED


async def test_tokens_are_never_logged(
    oauth: OAuthInstance, ogql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, account_id = await connected(oauth, ogql, "TWITTER")
    await refresh_oauth_account(oauth.services, account_id)
    tokens = list(oauth.fake("TWITTER").tokens)
    assert tokens and not any(t in caplog.text for t in tokens)


async def test_keys_rotate_and_old_ciphertexts_stay_readable_until_then(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    _, account_id = await connected(oauth, ogql, "TWITCH")
    both = TokenCipher([("k2", _key(KEY_2)), ("k1", _key(KEY_1))])
    assert await rotate_token_keys(both) >= 1
    connection = await OAuthConnection.get(account_id=account_id)
    assert connection.access_token.startswith("k2:")
    assert connection.refresh_token is not None and connection.refresh_token.startswith("k2:")
    assert await rotate_token_keys(both) == 0  # nothing left under k1
    only_new = dataclasses.replace(oauth.services, token_cipher=TokenCipher([("k2", _key(KEY_2))]))
    assert await refresh_oauth_account(only_new, account_id) is RefreshResult.REFRESHED


async def test_expired_states_are_cleaned_up(oauth: OAuthInstance, ogql: GraphQLClient) -> None:
    me = await register(ogql)
    await authorization_url(ogql, me.access_token, "TWITCH")
    await OAuthState.filter(user__email=me.email).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    assert await delete_expired_oauth_states(oauth.services) >= 1
    assert not await OAuthState.exists(user__email=me.email)


def _key(encoded: str) -> bytes:
    import base64

    return base64.b64decode(encoded)


OAUTH_ENV = {
    "TIKTOK_CLIENT_ID": "id",
    "TIKTOK_CLIENT_SECRET": "secret",
    "OAUTH_REDIRECT_BASE_URL": "https://api.example.com",
}


@pytest.mark.parametrize("key", ["c2hvcnQ=", "A" * 64])  # 5 bytes, 48 bytes
def test_token_key_that_is_not_32_bytes_refuses_to_start(key: str) -> None:
    with pytest.raises(SettingsError, match="exactly 32 bytes"):
        Settings.from_env(server_environment(**OAUTH_ENV, TOKEN_KEYS=f"k1:{key}"))


def test_production_with_oauth_and_no_token_key_refuses_to_start() -> None:
    env = server_environment(**OAUTH_ENV, CREATORGRAPH_ENV="production")
    env.pop("TOKEN_KEYS", None)
    with pytest.raises(SettingsError, match="TOKEN_KEYS is required"):
        Settings.from_env(env)


def test_twitch_helix_credentials_alone_do_not_turn_oauth_on() -> None:
    settings = Settings.from_env(
        server_environment(TWITCH_CLIENT_ID="helix", TWITCH_CLIENT_SECRET="helix-secret")
    )
    assert not settings.oauth.configured("TWITCH")
    with_base = Settings.from_env(
        server_environment(
            TWITCH_CLIENT_ID="helix",
            TWITCH_CLIENT_SECRET="helix-secret",
            OAUTH_REDIRECT_BASE_URL="https://api.example.com/",
            TOKEN_KEYS=f"k1:{KEY_1}",
        )
    )
    assert with_base.oauth.configured("TWITCH")
    assert with_base.oauth.redirect_uri("TWITCH") == "https://api.example.com/oauth/callback/twitch"
