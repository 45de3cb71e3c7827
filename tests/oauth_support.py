"""A second server instance for the OAuth tests, sharing the session server's database (and
ORM) but configured for OAuth against the five fake authorization servers: the same app, its
services swapped for ones with OAuth clients and a token cipher. It is served without a
lifespan of its own, as the session server already opened the database."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn

from adapters.oauth import build_oauth_clients
from adapters.platforms.registry import build_http_client
from adapters.token_cipher import TokenCipher
from app import create_app
from resolvers.services import Services
from settings import Settings
from tests.conftest import GraphQLClient, RunningServer, free_port, server_environment
from tests.fakes.oauth_platforms import (
    FakeGoogleOAuth,
    FakeInstagramOAuth,
    FakeTikTokOAuth,
    FakeTwitchOAuth,
    FakeXOAuth,
)
from tests.fakes.oauth_server import FakeOAuthServer, FakeUser

RESULT_URL = "https://app.example.com/settings/accounts?tab=connected"
KEY_1 = base64.b64encode(b"1" * 32).decode()
KEY_2 = base64.b64encode(b"2" * 32).decode()

AUTHORIZE = """
mutation Authorize($input: SocialAccountAuthorizeInput!) {
  socialAccountAuthorize(input: $input) { authorizationUrl userErrors { field message code } }
}"""


@dataclass
class OAuthFakes:
    by_platform: dict[str, FakeOAuthServer]

    @classmethod
    async def start(cls) -> OAuthFakes:
        fakes = cls(
            {
                "TIKTOK": FakeTikTokOAuth(),
                "YOUTUBE": FakeGoogleOAuth(),
                "TWITCH": FakeTwitchOAuth(),
                "INSTAGRAM": FakeInstagramOAuth(),
                "TWITTER": FakeXOAuth(),
            }
        )
        await asyncio.gather(*(f.start() for f in fakes.by_platform.values()))
        return fakes

    async def stop(self) -> None:
        await asyncio.gather(*(f.stop() for f in self.by_platform.values()))

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        api_paths = {
            "TIKTOK": "/v2",
            "YOUTUBE": "/youtube/v3",
            "TWITCH": "/helix",
            "INSTAGRAM": "",
            "TWITTER": "/2",
        }
        for platform, fake in self.by_platform.items():
            env |= {
                f"{platform}_CLIENT_ID": fake.client_id,
                f"{platform}_CLIENT_SECRET": fake.client_secret,
                f"{platform}_OAUTH_AUTHORIZE_URL": fake.url + fake.authorize_path,
                f"{platform}_OAUTH_TOKEN_URL": fake.url + fake.token_path,
                f"{platform}_OAUTH_REVOKE_URL": ""
                if platform == "INSTAGRAM"
                else fake.url + fake.revoke_path,
                f"{platform}_OAUTH_API_URL": fake.url + api_paths[platform],
            }
        return env


@dataclass
class OAuthInstance:
    url: str
    settings: Settings
    services: Services
    fakes: OAuthFakes

    def fake(self, platform: str) -> FakeOAuthServer:
        return self.fakes.by_platform[platform]


@asynccontextmanager
async def oauth_instance(
    session: RunningServer, fakes: OAuthFakes, **overrides: str
) -> AsyncIterator[OAuthInstance]:
    port = free_port()
    env = server_environment(
        **fakes.environment(),
        DATABASE_URL=session.settings.database_url,
        OAUTH_REDIRECT_BASE_URL=f"http://127.0.0.1:{port}",
        OAUTH_RESULT_URL=RESULT_URL,
        TOKEN_KEYS=f"k1:{KEY_1}",
        PROVIDER_READ_TIMEOUT_SECONDS="1",
        PROVIDER_CONNECT_TIMEOUT_SECONDS="1",
    )
    env.update(overrides)
    settings = Settings.from_env(env)
    http = build_http_client(settings.providers)
    services = dataclasses.replace(
        session.services,
        oauth=build_oauth_clients(settings.oauth, http),
        token_cipher=TokenCipher(settings.oauth.token_keys),
        oauth_state_seconds=settings.oauth.state_seconds,
    )
    app = create_app(settings)

    async def with_services(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["state"] = {"services": services}
        await app(scope, receive, send)

    config = uvicorn.Config(
        with_services, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield OAuthInstance(f"http://127.0.0.1:{port}", settings, services, fakes)
    finally:
        server.should_exit = True
        await task
        await services.oauth.aclose()
        await http.aclose()


def fake_user(prefix: str, followers: int = 48_000) -> FakeUser:
    suffix = uuid.uuid4().hex[:8]
    return FakeUser(
        user_id=str(int(suffix, 16)),
        username=f"{prefix}{suffix}",
        display_name=f"{prefix.title()} {suffix}",
        followers=followers,
    )


def new_browser() -> CookieJar:
    """A browser's cookies, kept across the requests made in it."""
    return CookieJar()


# The browser of the tests' user: the flow started in it is completed in it.
USER_BROWSER = new_browser()


async def start_url(gql: GraphQLClient, token: str, platform: str) -> str:
    """What ``socialAccountAuthorize`` returns: this server's /oauth/start URL."""
    data = await gql.data(AUTHORIZE, {"input": {"platform": platform}}, token)
    payload = data["socialAccountAuthorize"]
    assert payload["userErrors"] == [], payload["userErrors"]
    url: str = payload["authorizationUrl"]
    return url


async def open_in(browser: CookieJar, url: str) -> httpx.Response:
    """One request in ``browser``, redirects not followed, its cookies kept."""
    async with httpx.AsyncClient(timeout=10, cookies=browser) as client:
        return await client.get(url)


async def authorization_url(
    gql: GraphQLClient, token: str, platform: str, browser: CookieJar = USER_BROWSER
) -> str:
    """The platform's authorization URL, as the browser reaches it: ``socialAccountAuthorize``'s
    URL opened in ``browser`` (which keeps the flow's cookie), then its redirect."""
    started = await open_in(browser, await start_url(gql, token, platform))
    assert started.status_code == 303, started.text
    return started.headers["location"]


async def through_browser(
    url: str, browser: CookieJar = USER_BROWSER
) -> tuple[httpx.Response, httpx.Response]:
    """The browser's part: the platform's consent redirect, then our callback's answer."""
    consent = await open_in(browser, url)
    assert consent.status_code == 302, consent.text
    callback = await open_in(browser, consent.headers["location"])
    return consent, callback


def outcome(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("https://app.example.com/settings/accounts?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# The fixtures every OAuth test module uses (import them by name into the module).


@pytest.fixture(scope="module")
async def oauth_fakes() -> AsyncIterator[OAuthFakes]:
    fakes = await OAuthFakes.start()
    yield fakes
    await fakes.stop()


@pytest.fixture(scope="module")
async def oauth(server: RunningServer, oauth_fakes: OAuthFakes) -> AsyncIterator[OAuthInstance]:
    async with oauth_instance(server, oauth_fakes) as instance:
        yield instance


@pytest.fixture
async def ogql(oauth: OAuthInstance) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=oauth.url, timeout=30) as client:
        yield GraphQLClient(client)
