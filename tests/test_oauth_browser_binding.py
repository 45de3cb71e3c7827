"""An OAuth flow completes only in the browser that started it: a user who sends his flow's URL
to someone else cannot have their account (and its tokens) land on his own account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from models import OAuthConnection, OAuthState, SocialAccount
from tests.conftest import GraphQLClient, register
from tests.oauth_support import (
    OAuthInstance,
    fake_user,
    new_browser,
    open_in,
    outcome,
    start_url,
    through_browser,
)


async def test_authorization_url_starts_the_flow_on_this_server_with_a_cookie(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    who = fake_user("creator")
    oauth.fake("TIKTOK").consent_as(who)
    url = await start_url(ogql, me.access_token, "TIKTOK")
    assert url.startswith(f"{oauth.url}/oauth/start/tiktok?flow=")

    browser = new_browser()
    started = await open_in(browser, url)
    assert started.status_code == 303
    assert started.headers["location"].startswith(oauth.fake("TIKTOK").url)
    cookie = started.headers["set-cookie"].lower()
    assert cookie.startswith("cg_oauth_tiktok=")
    for attribute in ("httponly", "samesite=lax", "path=/oauth", "max-age=600"):
        assert attribute in cookie

    _, callback = await through_browser(started.headers["location"], browser)
    assert outcome(callback)["result"] == "connected"
    assert 'cg_oauth_tiktok=""' in callback.headers["set-cookie"]  # cleared
    assert "max-age=0" in callback.headers["set-cookie"].lower()
    account = await SocialAccount.get(profile__user__email=me.email, platform="TIKTOK")
    assert account.handle == who.username


async def test_a_flow_completed_in_another_browser_stores_nothing(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    """A starts a flow in his browser and sends the platform's URL on to B; B consents with B's
    account in B's browser. The callback has no cookie of A's flow: B's account lands nowhere."""
    attacker = await register(ogql)
    victim = fake_user("victim")
    fake = oauth.fake("TWITCH")
    fake.consent_as(victim)
    started = await open_in(new_browser(), await start_url(ogql, attacker.access_token, "TWITCH"))

    _, callback = await through_browser(started.headers["location"], new_browser())

    assert outcome(callback)["code"] == "invalid_state"
    assert not await SocialAccount.exists(profile__user__email=attacker.email)
    assert not await OAuthConnection.exists(account__profile__user__email=attacker.email)
    assert fake.live_tokens(victim) == []  # no code was exchanged
    assert not await OAuthState.exists(user__email=attacker.email)  # the state is spent


async def test_the_start_url_itself_handed_on_still_binds_to_the_browser_that_opens_it(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    """Whoever opens the start URL first owns the browser binding; the flow's user cannot then
    complete it from his own browser, and the one start is all there is."""
    asker = await register(ogql)
    oauth.fake("YOUTUBE").consent_as(fake_user("someone"))
    url = await start_url(ogql, asker.access_token, "YOUTUBE")
    first, second = new_browser(), new_browser()
    opened = await open_in(first, url)
    assert opened.status_code == 303
    assert outcome(await open_in(second, url))["code"] == "invalid_state"
    _, callback = await through_browser(opened.headers["location"], second)
    assert outcome(callback)["code"] == "invalid_state"
    assert not await SocialAccount.exists(profile__user__email=asker.email)


async def test_a_start_is_single_use(oauth: OAuthInstance, ogql: GraphQLClient) -> None:
    me = await register(ogql)
    oauth.fake("TWITTER").consent_as(fake_user("creator"))
    browser = new_browser()
    url = await start_url(ogql, me.access_token, "TWITTER")
    first = await open_in(browser, url)
    assert first.status_code == 303
    replayed = await open_in(browser, url)
    assert outcome(replayed) == {
        "tab": "connected",
        "platform": "twitter",
        "result": "error",
        "code": "invalid_state",
    }
    assert "set-cookie" not in replayed.headers
    # The first start still completes: the replay neither spent nor rebound it.
    _, callback = await through_browser(first.headers["location"], browser)
    assert outcome(callback)["result"] == "connected"


async def test_an_expired_flow_does_not_start(oauth: OAuthInstance, ogql: GraphQLClient) -> None:
    me = await register(ogql)
    url = await start_url(ogql, me.access_token, "INSTAGRAM")
    await OAuthState.filter(user__email=me.email).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    answer = await open_in(new_browser(), url)
    assert outcome(answer)["code"] == "expired_state"
    assert "set-cookie" not in answer.headers


async def test_a_start_for_another_platform_or_without_a_flow_is_refused(
    oauth: OAuthInstance, ogql: GraphQLClient
) -> None:
    me = await register(ogql)
    url = await start_url(ogql, me.access_token, "TIKTOK")
    other = url.replace("/oauth/start/tiktok", "/oauth/start/twitch")
    assert outcome(await open_in(new_browser(), other))["code"] == "invalid_state"
    bare = url.split("?")[0]
    assert outcome(await open_in(new_browser(), bare))["code"] == "invalid_state"
    # Still startable where it belongs.
    started = await open_in(new_browser(), url)
    assert started.status_code == 303
    assert "state" in parse_qs(urlsplit(started.headers["location"]).query)
