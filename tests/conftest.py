"""The test harness: the real app served by uvicorn on loopback, against real databases.

SQLite (a fresh file) unless ``DATABASE_URL`` points at PostgreSQL, whose ``public`` schema is then
reset; the in-process broker and rate limiter unless ``REDIS_URL`` is set. Every test registers its
own users (unique emails), so tests never depend on each other's rows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app import create_app
from resolvers.services import Services
from settings import Settings
from tests.fakes import FakeProviders
from tests.fakes.cdn import CDN_HOST, FakeCdn
from tests.fakes.dns import PUBLIC_ADDRESS, FakeDns
from web.http_protocol import CoalescingHttpToolsProtocol

# Fixtures shared by the OAuth test modules (oauth_fakes, oauth, ogql).
pytest_plugins = ["tests.oauth_support"]

TEST_SECRET = "test-secret-" + "x" * 40
_OUTBOX_DIR = tempfile.mkdtemp(prefix="creatorgraph-outbox-")
PASSWORD = "correct horse battery"


def server_environment(**overrides: str) -> dict[str, str]:
    env = {
        "CREATORGRAPH_ENV": "test",
        "JWT_SECRET": TEST_SECRET,
        "PASSWORD_HASH_MEMORY_KIB": "8192",
        "SYNC_RATE_LIMIT": "1000/minute",
        "SIGN_IN_RATE_LIMIT": "1000/minute",
        "SIGN_IN_ADDRESS_RATE_LIMIT": "100000/minute",
        "REGISTER_RATE_LIMIT": "100000/minute",
        "MESSAGE_RATE_LIMIT": "100000/minute",
        "COLLAB_REQUEST_RATE_LIMIT": "100000/minute",
        "PASSWORD_RESET_RATE_LIMIT": "100000/minute",
        # The test client on 127.0.0.1 stands in for our reverse proxy: a test names the client
        # it plays in X-Forwarded-For; a client connecting from 127.0.0.2 is an untrusted one.
        "TRUSTED_PROXIES": "127.0.0.1",
        # Every test client shares 127.0.0.1: a budget per address would meter the suite.
        "QUERY_COST_BUDGET": "100000000/minute",
        # Tests run the scheduled jobs themselves (tests/test_jobs.py), never behind each other.
        "JOBS_WORKER": "off",
        # Most tests register and then chat at once: they play verified users. The production
        # default (unverified users may not message) is proven in tests/test_email_verification.
        "UNVERIFIED_MAY": "all",
        # Mail goes to a directory of this run's own (tests/test_mail.py reads it, or runs SMTP).
        "MAIL_OUTBOX_DIR": _OUTBOX_DIR,
        "UPLOAD_RATE_LIMIT": "100000/minute",
    }
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        env["DATABASE_URL"] = database_url
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(overrides)
    return env


def uses_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def uses_redis() -> bool:
    return bool(os.environ.get("REDIS_URL"))


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def reset_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    settings: Settings
    app: Any

    @property
    def services(self) -> Services:
        return self.app.state.services


async def start_server(
    env: dict[str, str],
) -> tuple[uvicorn.Server, asyncio.Task[None], RunningServer]:
    settings = Settings.from_env(env)
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        http=CoalescingHttpToolsProtocol,  # as app.py serves
        proxy_headers=False,  # as app.py serves: client addresses are the app's to decide
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError("the test server did not start")
    return server, task, RunningServer(f"http://127.0.0.1:{port}", settings, app)


@pytest.fixture(scope="session")
async def fake_providers() -> AsyncIterator[FakeProviders]:
    """Every platform data provider, faked on loopback (tests/fakes/)."""
    fakes = await FakeProviders.start()
    yield fakes
    await fakes.stop()


@pytest.fixture(scope="session")
async def fake_cdn() -> AsyncIterator[FakeCdn]:
    """A platform image CDN on loopback, for the image proxy."""
    cdn = FakeCdn()
    await cdn.start()
    yield cdn
    await cdn.stop()


@pytest.fixture(scope="session")
def fake_dns() -> FakeDns:
    """The test server's DNS: the public names tests use (the machine may have none), and the
    fake CDN's name on loopback. Tests add their own names."""
    dns = FakeDns()
    for name in ("cdn.example.com", "x.io", "example.com"):
        dns.add(name, PUBLIC_ADDRESS)
    dns.add(CDN_HOST, "127.0.0.1")
    return dns


@pytest.fixture(scope="session")
async def server(fake_providers: FakeProviders, fake_dns: FakeDns) -> AsyncIterator[RunningServer]:
    env = server_environment(**fake_providers.environment())
    directory = Path(tempfile.mkdtemp(prefix="creatorgraph-test-"))
    env["MEDIA_DIR"] = str(directory / "media")
    # The image proxy may reach loopback (and plain http): the fake CDN (tests/fakes/cdn.py).
    env["IMAGE_PROXY_ALLOW_PRIVATE"] = "true"
    if uses_postgres():
        await reset_postgres(env["DATABASE_URL"])
    else:
        env["DATABASE_URL"] = f"sqlite://{directory / 'test.sqlite3'}"
    if uses_redis():
        await reset_redis(env["REDIS_URL"])
    uv, task, running = await start_server(env)
    running.services.media.address_guard.resolver = fake_dns.resolve
    yield running
    uv.should_exit = True
    await task


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, **extra}
        if variables is not None:
            body["variables"] = variables
        response = await self.http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        self.inspect(response)
        return response.json()

    def inspect(self, response: httpx.Response) -> None:
        """A hook for clients that check every raw response."""

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of a response that must have no top-level errors."""
        result = await self.post(query, variables, token)
        assert "errors" not in result, result["errors"]
        return result["data"]


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


REGISTER = """
mutation Register($input: AccountRegisterInput!) {
  accountRegister(input: $input) {
    user { id email role profile { id displayName } }
    accessToken refreshToken
    userErrors { field message code }
  }
}"""


@dataclass
class Account:
    email: str
    password: str
    user_id: str
    profile_id: str
    access_token: str
    refresh_token: str


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def register(
    gql: GraphQLClient,
    *,
    role: str = "CREATOR",
    display_name: str = "Test User",
    email: str | None = None,
    password: str = PASSWORD,
) -> Account:
    email = email or unique_email()
    data = await gql.data(
        REGISTER,
        {
            "input": {
                "email": email,
                "password": password,
                "role": role,
                "displayName": display_name,
            }
        },
    )
    payload = data["accountRegister"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return Account(
        email,
        password,
        payload["user"]["id"],
        payload["user"]["profile"]["id"],
        payload["accessToken"],
        payload["refreshToken"],
    )


@pytest.fixture
async def account(gql: GraphQLClient) -> Account:
    return await register(gql)


class QueryCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            self.statements.append(message)


@pytest.fixture
def count_queries() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    logger = logging.getLogger("tortoise.db_client")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)
