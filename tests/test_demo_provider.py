"""The demo provider: made-up, deterministic, clearly labelled stats for development, refused in
production."""

from __future__ import annotations

import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.platforms.demo import DEMO_BIO, DemoProvider
from adapters.platforms.errors import AccountNotFound, AccountPrivate
from adapters.platforms.types import Platform, ProviderName
from settings import Settings, SettingsError
from tests.conftest import TEST_SECRET, GraphQLClient, register, server_environment, uses_postgres
from tests.server_process import served

NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)


def clock(moment: datetime):
    return lambda: moment


async def test_the_same_handle_gets_the_same_numbers_and_another_handle_others():
    first = await DemoProvider(Platform.TIKTOK, clock(NOON)).fetch("alice")
    again = await DemoProvider(Platform.TIKTOK, clock(NOON)).fetch("alice")
    other = await DemoProvider(Platform.TIKTOK, clock(NOON)).fetch("bob")
    assert first == again
    assert first.followers != other.followers
    assert 1000 <= (first.followers or 0) <= 6_000_000


async def test_the_numbers_drift_a_little_from_hour_to_hour():
    provider = Platform.YOUTUBE
    now = await DemoProvider(provider, clock(NOON)).fetch("drifter")
    later = await DemoProvider(provider, clock(NOON + timedelta(hours=3))).fetch("drifter")
    month = await DemoProvider(provider, clock(NOON + timedelta(days=30))).fetch("drifter")
    assert now.followers and later.followers and month.followers
    assert later.followers != now.followers
    assert abs(later.followers - now.followers) / now.followers < 0.01
    assert abs(month.followers - now.followers) / now.followers < 0.12


@pytest.mark.parametrize("platform", list(Platform))
async def test_every_answer_says_it_is_the_demo(platform: Platform):
    profile = await DemoProvider(platform, clock(NOON)).fetch("someone")
    assert profile.provider is ProviderName.DEMO
    assert profile.display_name == "someone (demo)"
    assert profile.bio == DEMO_BIO
    assert profile.engagement.rate is None or 0 <= profile.engagement.rate <= 100
    assert len(profile.posts) == 6
    assert all(p.url and ".invalid/" in p.url for p in profile.posts)


async def test_missing_and_private_handles_take_those_paths():
    with pytest.raises(AccountNotFound):
        await DemoProvider(Platform.TWITCH, clock(NOON)).fetch("missing_one")
    with pytest.raises(AccountPrivate):
        await DemoProvider(Platform.TWITCH, clock(NOON)).fetch("private_one")


def environment(**overrides: str) -> dict[str, str]:
    return {"JWT_SECRET": TEST_SECRET, **overrides}


def test_demo_is_on_in_development_and_off_elsewhere_by_default():
    assert Settings.from_env(environment(CREATORGRAPH_ENV="development")).providers.demo
    assert not Settings.from_env(environment(CREATORGRAPH_ENV="test")).providers.demo
    production = Settings.from_env(environment(CREATORGRAPH_ENV="production"))
    assert not production.providers.demo
    development_off = environment(CREATORGRAPH_ENV="development", DEMO_PROVIDER="off")
    assert not Settings.from_env(development_off).providers.demo


def test_production_refuses_to_start_with_the_demo_provider():
    with pytest.raises(SettingsError, match="DEMO_PROVIDER"):
        Settings.from_env(environment(CREATORGRAPH_ENV="production", DEMO_PROVIDER="on"))


def test_the_demo_comes_after_every_configured_provider():
    settings = Settings.from_env(
        environment(CREATORGRAPH_ENV="development", X_BEARER_TOKEN="k", RAPIDAPI_KEY="r")
    )
    assert settings.providers.providers_for("TWITTER") == ("x", "rapidapi", "demo")
    assert settings.providers.providers_for("YOUTUBE") == ("demo",)


PLATFORMS = "{ platforms { platform providerFetch providers summary } }"
CONNECT = """mutation C($input: SocialAccountConnectInput!) { socialAccountConnect(input: $input) {
  account { handle displayName followers provider source
    recentPosts(first: 3) { edges { node { likes comments views url } } } }
  userErrors { code } } }"""
REFRESH = """mutation R($input: SocialAccountRefreshInput!) { socialAccountRefresh(input: $input) {
  account { followers provider } userErrors { code } } }"""


async def test_a_newcomer_connects_and_refreshes_without_credentials_in_development():
    env = server_environment(CREATORGRAPH_ENV="development")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'demo.sqlite3'}"
    async with served(env) as process, httpx.AsyncClient(base_url=process.url, timeout=30) as http:
        gql = GraphQLClient(http)
        platforms = (await gql.data(PLATFORMS))["platforms"]
        assert all(p["providers"] == ["DEMO"] and p["providerFetch"] for p in platforms)
        assert all(p["summary"].startswith("DEMO:") for p in platforms)

        owner = await register(gql)
        name = "n" + uuid.uuid4().hex[:8]
        variables = {"input": {"platform": "INSTAGRAM", "handle": f"@{name}"}}
        connected = (await gql.data(CONNECT, variables, owner.access_token))["socialAccountConnect"]
        assert connected["userErrors"] == []
        account = connected["account"]
        assert account["provider"] == "DEMO" and account["source"] == "PROVIDER"
        assert account["displayName"] == f"{name} (demo)"
        assert account["followers"] > 0
        posts = account["recentPosts"]["edges"]
        assert len(posts) == 3 and all(p["node"]["likes"] is not None for p in posts)

        variables = {"input": {"platform": "INSTAGRAM", "force": True}}
        refreshed = (await gql.data(REFRESH, variables, owner.access_token))["socialAccountRefresh"]
        assert refreshed["userErrors"] == []
        assert refreshed["account"]["provider"] == "DEMO"


async def test_the_session_server_in_test_mode_has_no_demo(gql: GraphQLClient):
    platforms = (await gql.data(PLATFORMS))["platforms"]
    assert all("DEMO" not in p["providers"] for p in platforms)
