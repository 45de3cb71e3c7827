"""Browsers on other origins (issue 8, item 7): ``CORS_ORIGINS`` lets exactly the listed origins
call the API over HTTP and websockets, with credentials; every other origin gets no CORS header
and no websocket. Clients that are not browsers send no ``Origin`` and are not affected."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from settings import Settings, SettingsError
from tests.conftest import TEST_SECRET, RunningServer, server_environment, uses_postgres
from tests.graphql_ws import GraphQLWebSocket
from tests.server_process import served

FRONTEND = "http://app.example.test:3000"
STRANGER = "http://evil.example.test"
PREFLIGHT = {"Access-Control-Request-Method": "POST"}


@pytest.fixture(scope="module")
async def cors_server(server: RunningServer) -> AsyncIterator[str]:
    """A production server that lists one frontend origin (after the session server has prepared
    the database, which it shares on PostgreSQL)."""
    env = server_environment(
        CREATORGRAPH_ENV="production", CORS_ORIGINS=f"{FRONTEND},https://admin.example.test"
    )
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'cors.sqlite3'}"
    async with served(env) as process:
        yield process.url


@pytest.fixture
async def cors_http(cors_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cors_server, timeout=30) as client:
        yield client


@pytest.mark.parametrize("path", ["/graphql", "/api/v1/profiles/social-sync/tiktok"])
async def test_preflight_from_a_listed_origin_allows_the_request_with_credentials(
    cors_http: httpx.AsyncClient, path: str
):
    headers = {**PREFLIGHT, "Origin": FRONTEND}
    headers["Access-Control-Request-Headers"] = "authorization, content-type"
    response = await cors_http.options(path, headers=headers)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize("origin", [STRANGER, "http://app.example.test:3001", "null"])
async def test_preflight_from_an_unlisted_origin_is_refused_without_cors_headers(
    cors_http: httpx.AsyncClient, origin: str
):
    response = await cors_http.options("/graphql", headers={**PREFLIGHT, "Origin": origin})
    assert response.status_code == 403
    assert not [h for h in response.headers if h.startswith("access-control-")]


async def test_listed_origin_may_read_answers_and_the_request_id(cors_http: httpx.AsyncClient):
    response = await cors_http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": FRONTEND}
    )
    assert response.json()["data"] == {"__typename": "Query"}
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    # A page on another origin may read whether a retry was answered from the first response.
    assert "idempotent-replayed" in response.headers["access-control-expose-headers"].lower()


async def test_unlisted_origin_gets_no_cors_headers_and_no_credentials(
    cors_http: httpx.AsyncClient,
):
    response = await cors_http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": STRANGER}
    )
    assert not [h for h in response.headers if h.startswith("access-control-")]
    assert "Origin" in response.headers["vary"]


async def test_without_cors_origins_no_origin_is_allowed(http: httpx.AsyncClient):
    """The session server runs in test mode, where the list is empty unless set."""
    response = await http.options("/graphql", headers={**PREFLIGHT, "Origin": FRONTEND})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_websocket_from_an_unlisted_origin_is_refused(cors_server: str):
    with pytest.raises(InvalidStatus) as refused:
        await GraphQLWebSocket.open(cors_server, None, init=False, origin=STRANGER)
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("origin", [FRONTEND, "same", None])
async def test_websocket_from_a_listed_origin_the_server_itself_or_no_browser_is_accepted(
    cors_server: str, origin: str | None
):
    """``same``: a page this server served (GraphiQL) — its Origin names the server's host."""
    options = {"origin": cors_server if origin == "same" else origin} if origin else {}
    client = await GraphQLWebSocket.open(cors_server, None, init=False, **options)
    async with client:
        await client.send({"type": "ping"})
        assert (await client.receive_raw())["type"] == "pong"


async def test_websocket_origin_is_checked_against_the_list_on_the_session_server(
    server: RunningServer,
):
    with pytest.raises(InvalidStatus):
        await GraphQLWebSocket.open(server.url, None, init=False, origin=FRONTEND)


def settings_with(**env: str) -> Settings:
    return Settings.from_env({"JWT_SECRET": TEST_SECRET, **env})


def test_development_allows_a_local_frontend_on_port_3000_unless_set():
    assert settings_with(CREATORGRAPH_ENV="development").cors_origins == (
        "http://localhost:3000",
        "http://127.0.0.1:3000",
    )
    assert settings_with(CREATORGRAPH_ENV="development", CORS_ORIGINS="").cors_origins == ()
    assert settings_with(CREATORGRAPH_ENV="production").cors_origins == ()
    listed = settings_with(CORS_ORIGINS=" https://a.example , http://[::1]:8080,https://a.example")
    assert listed.cors_origins == ("https://a.example", "http://[::1]:8080")


@pytest.mark.parametrize(
    ("entry", "hint"),
    [
        ("https://*.example.com", None),
        ("https://app.example.com/", "'https://app.example.com'"),
        ("https://app.example.com/app", None),
        ("https://App.Example.com", "'https://app.example.com'"),
        ("https://app.example.com:443", "'https://app.example.com'"),
        ("app.example.com", None),
        ("ftp://app.example.com", None),
        ("*", None),
    ],
)
def test_an_entry_that_is_not_an_exact_origin_stops_the_server(entry: str, hint: str | None):
    with pytest.raises(SettingsError, match="CORS_ORIGINS") as refused:
        settings_with(CORS_ORIGINS=f"https://ok.example,{entry}")
    assert "scheme://host[:port]" in str(refused.value)
    if hint:
        assert f"write it as {hint}" in str(refused.value)
