"""Connecting one's own account with OAuth, for each of the five platforms, against their fake
authorization servers: authorization URL → consent → callback over real HTTP → the account
stored with its numbers and sealed tokens → refresh → disconnect and revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from models import OAuthConnection, SocialAccount, StatsSnapshot
from resolvers.oauth import scheduled_oauth_fetch
from resolvers.oauth_tokens import RefreshResult, refresh_oauth_account
from resolvers.scheduled_refresh import RefreshSchedule, refresh_due_accounts
from tests.conftest import GraphQLClient, register
from tests.oauth_support import (
    OAuthInstance,
    authorization_url,
    fake_user,
    outcome,
    through_browser,
)

PLATFORMS = ["TIKTOK", "YOUTUBE", "TWITCH", "INSTAGRAM", "TWITTER"]
ACCOUNTS = """
{ socialAccounts { platform handle displayName followers source state provider } }"""
DISCONNECT = """
mutation D($input: SocialAccountDisconnectInput!) {
  socialAccountDisconnect(input: $input) { profile { id } userErrors { code } }
}"""
PLATFORMS_QUERY = "{ platforms { platform oauth summary } }"


async def stored(email: str, platform: str) -> tuple[SocialAccount, OAuthConnection | None]:
    account = await SocialAccount.get(profile__user__email=email, platform=platform)
    return account, await OAuthConnection.get_or_none(account_id=account.id)


async def test_platforms_say_oauth_is_available_where_configured(ogql: GraphQLClient) -> None:
    data = await ogql.data(PLATFORMS_QUERY)
    assert all(p["oauth"] for p in data["platforms"])
    assert "connect your own" in data["platforms"][0]["summary"]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_creator_connects_refreshes_and_disconnects(
    oauth: OAuthInstance, ogql: GraphQLClient, platform: str
) -> None:
    fake = oauth.fake(platform)
    me = await register(ogql)
    who = fake_user("creator", followers=48_000 + PLATFORMS.index(platform))
    fake.consent_as(who)

    url = await authorization_url(ogql, me.access_token, platform)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [f"{oauth.url}/oauth/callback/{platform.lower()}"]
    assert len(query["state"][0]) >= 32
    if platform == "TIKTOK":
        assert "client_id" not in query and query["client_key"] == [fake.client_id]
    if platform in {"TIKTOK", "TWITTER", "YOUTUBE"}:
        assert query["code_challenge_method"] == ["S256"]
    if platform == "YOUTUBE":
        assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]

    _, callback = await through_browser(url)
    assert outcome(callback) == {
        "tab": "connected",
        "platform": platform.lower(),
        "result": "connected",
    }
    assert "token" not in callback.headers["location"].lower().replace("tab", "")

    data = await ogql.data(ACCOUNTS, token=me.access_token)
    [account] = data["socialAccounts"]
    assert account["source"] == "OAUTH" and account["state"] == "READY"
    assert account["followers"] == who.followers and account["provider"] == "OAUTH"
    assert account["handle"] == who.username

    row, connection = await stored(me.email, platform)
    assert connection is not None
    live = fake.live_tokens(who)
    assert live, "the platform issued tokens"
    for token in live:  # nothing the platform issued is in the row as it was issued
        assert token not in connection.access_token
        assert token not in (connection.refresh_token or "")
    assert connection.access_token.startswith("k1:")
    assert await StatsSnapshot.filter(account_id=row.id).count() == 1

    before = connection.access_token
    assert await refresh_oauth_account(oauth.services, row.id) is RefreshResult.REFRESHED
    assert fake.refreshes >= 1
    _, refreshed = await stored(me.email, platform)
    assert refreshed is not None and refreshed.access_token != before
    assert refreshed.refreshing_until is None

    revoked_before = len(fake.revoked)
    data = await ogql.data(DISCONNECT, {"input": {"platform": platform}}, me.access_token)
    assert data["socialAccountDisconnect"]["userErrors"] == []
    assert not await SocialAccount.exists(profile__user__email=me.email, platform=platform)
    assert not await OAuthConnection.exists(account_id=row.id)
    if platform == "INSTAGRAM":  # no revocation endpoint: the grant lapses unrefreshed
        assert len(fake.revoked) == revoked_before
    else:
        assert len(fake.revoked) == revoked_before + 1
        assert fake.live_tokens(who) == []


async def test_authorize_needs_a_configured_platform(gql: GraphQLClient) -> None:
    me = await register(gql)
    data = await gql.data(
        """mutation { socialAccountAuthorize(input: {platform: TIKTOK}) {
             authorizationUrl userErrors { field code } } }""",
        token=me.access_token,
    )
    payload = data["socialAccountAuthorize"]
    assert payload["authorizationUrl"] is None
    assert payload["userErrors"] == [{"field": ["platform"], "code": "NOT_CONFIGURED"}]


async def test_refreshing_an_oauth_account_reads_it_with_its_own_token(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    who = fake_user("streamer", followers=1200)
    oauth.fake("TWITCH").consent_as(who)
    _, callback = await through_browser(await authorization_url(ogql, me.access_token, "TWITCH"))
    assert outcome(callback)["result"] == "connected"
    who.followers = 1500
    data = await ogql.data(
        """mutation { socialAccountRefresh(input: {platform: TWITCH}) {
             account { followers source provider } userErrors { code } } }""",
        token=me.access_token,
    )
    payload = data["socialAccountRefresh"]
    assert payload["userErrors"] == []
    assert payload["account"] == {"followers": 1500, "source": "OAUTH", "provider": "OAUTH"}


async def test_the_scheduled_refresh_reads_oauth_accounts_with_their_own_token(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    """Numbers change on schedule with nobody clicking: the refresh job takes due OAuth accounts
    too, reads each with its owner's token, and stores through the one stats path."""
    me = await register(ogql)
    who = fake_user("scheduled", followers=2100)
    oauth.fake("TIKTOK").consent_as(who)
    _, callback = await through_browser(await authorization_url(ogql, me.access_token, "TIKTOK"))
    assert outcome(callback)["result"] == "connected"
    account, _ = await stored(me.email, "TIKTOK")
    await SocialAccount.filter(id=account.id).update(next_refresh_at=datetime.now(UTC))
    who.followers = 2600

    run = await refresh_due_accounts(
        oauth.services, RefreshSchedule(batch=500), scheduled_oauth_fetch
    )

    assert account.id in run.refreshed
    refreshed, _ = await stored(me.email, "TIKTOK")
    assert (refreshed.followers, refreshed.source) == (2600, "OAUTH")
    assert await StatsSnapshot.filter(account_id=account.id).count() == 2


async def test_refresh_all_reads_oauth_accounts_with_their_own_token(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    who = fake_user("everything", followers=900)
    oauth.fake("YOUTUBE").consent_as(who)
    _, callback = await through_browser(await authorization_url(ogql, me.access_token, "YOUTUBE"))
    assert outcome(callback)["result"] == "connected"
    who.followers = 1250

    data = await ogql.data(
        """mutation { socialAccountRefreshAll {
             results { platform account { followers source } userErrors { code } } } }""",
        token=me.access_token,
    )

    assert data["socialAccountRefreshAll"]["results"] == [
        {
            "platform": "YOUTUBE",
            "account": {"followers": 1250, "source": "OAUTH"},
            "userErrors": [],
        }
    ]
