"""The websocket itself: authentication at connection_init, token expiry, limits, and a stalled
subscriber that must not hold up the others."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from adapters.tokens import TokenIssuer
from tests.conftest import (
    TEST_SECRET,
    Account,
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
    uses_postgres,
)
from tests.graphql_ws import PROTOCOL, GraphQLWebSocket, ws_url
from tests.realtime_support import CHAT_EVENTS, NOTIFICATION_EVENTS, pk, sent
from tests.server_process import served

STALL_MESSAGES = 20


@dataclass
class Limited:
    url: str
    log: Path


@pytest.fixture(scope="module")
async def limited(server: RunningServer) -> AsyncIterator[Limited]:
    """A server with tight websocket limits, in its own process (after the session server has
    prepared the database, which it shares on PostgreSQL)."""
    env = server_environment(
        WS_INIT_TIMEOUT_SECONDS="1",
        WS_MAX_SUBSCRIPTIONS="3",
        WS_MAX_MESSAGE_BYTES="4096",
        WS_SEND_QUEUE_FRAMES="8",
    )
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'limited.sqlite3'}"
    async with served(env) as process:
        yield Limited(process.url, process.log)


@pytest.fixture
async def limited_gql(limited: Limited) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=limited.url, timeout=30) as client:
        yield GraphQLClient(client)


async def rejected(url: str, payload: dict | None) -> tuple[int | None, str | None]:
    client = await GraphQLWebSocket.open(url, None, init=False)
    message: dict = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    await client.send(message)
    return await client.closed()


async def test_a_missing_or_bad_token_closes_the_socket_with_4403(
    server: RunningServer, account: Account
):
    for payload in (
        None,
        {},
        {"authorization": None},
        {"authorization": "Bearer"},
        {"authorization": "Bearer not-a-jwt"},
        {"authorization": f"Basic {account.access_token}"},
        {"authorization": f"Bearer {account.refresh_token}"},  # a refresh token is not access
    ):
        assert await rejected(server.url, payload) == (4403, "Forbidden"), payload


async def test_the_socket_closes_when_its_token_expires(server: RunningServer, account: Account):
    settings = server.settings
    short = TokenIssuer(TEST_SECRET, settings.jwt_issuer, settings.jwt_audience, 2, 60)
    token = short.issue_access(pk(account.user_id))
    started = time.monotonic()
    async with await GraphQLWebSocket.open(server.url, token) as ws:
        await ws.subscribe(NOTIFICATION_EVENTS)
        code, reason = await ws.closed(within=5)
    assert (code, reason) == (4403, "Token expired")
    assert time.monotonic() - started < 3.5
    expired = TokenIssuer(TEST_SECRET, settings.jwt_issuer, settings.jwt_audience, -10, 60)
    assert await rejected(server.url, {"authorization": "Bearer " + expired.issue_access(1)}) == (
        4403,
        "Forbidden",
    )


async def test_queries_and_mutations_also_run_over_the_socket(
    server: RunningServer, account: Account
):
    async with await GraphQLWebSocket.open(server.url, account.access_token) as ws:
        op = await ws.subscribe("{ viewer { id unreadNotificationCount } }", wait=False)
        assert (await ws.next(op))["data"]["viewer"] == {
            "id": account.user_id,
            "unreadNotificationCount": 0,
        }
        assert (await ws.message(op))["type"] == "complete"


async def test_each_operation_on_a_socket_reads_fresh_data(
    gql: GraphQLClient, server: RunningServer
):
    ann = await register(gql)
    bob = await register(gql)
    conversation = (await sent(gql, ann, "one", to=bob))["conversation"]["id"]
    query = "query($c: ID!) { conversation(id: $c) { unreadCount } }"
    async with await GraphQLWebSocket.open(server.url, bob.access_token) as ws:
        counts = []
        for body in ("two", "three"):
            op = await ws.subscribe(query, {"c": conversation}, wait=False)
            counts.append((await ws.next(op))["data"]["conversation"]["unreadCount"])
            assert (await ws.message(op))["type"] == "complete"
            await sent(gql, ann, body, conversation=conversation)
    assert counts == [1, 2]


async def test_subscribing_before_connection_init_closes_with_4401(server: RunningServer):
    client = await GraphQLWebSocket.open(server.url, None, init=False)
    await client.send({"id": "1", "type": "subscribe", "payload": {"query": NOTIFICATION_EVENTS}})
    assert (await client.closed())[0] == 4401


async def test_a_connection_that_never_initialises_is_closed(limited: Limited):
    client = await GraphQLWebSocket.open(limited.url, None, init=False)
    assert await client.closed(within=3) == (4408, "Connection initialisation timeout")


async def test_subscriptions_per_connection_are_capped(
    limited: Limited, limited_gql: GraphQLClient
):
    account = await register(limited_gql)
    async with await GraphQLWebSocket.open(limited.url, account.access_token) as ws:
        for _ in range(3):
            await ws.subscribe(NOTIFICATION_EVENTS)
        fourth = await ws.subscribe(NOTIFICATION_EVENTS)
        message = await ws.message(fourth)
        assert message["type"] == "error"
        assert message["payload"][0]["message"] == "Subscription limit reached"


async def test_oversized_messages_close_the_socket_with_1009(
    server: RunningServer, account: Account, limited: Limited, limited_gql: GraphQLClient
):
    # The app checks every message (64 kB by default here, where the test server's own limit
    # is higher) ...
    async with await GraphQLWebSocket.open(server.url, account.access_token) as ws:
        await ws.send({"type": "ping", "payload": {"padding": "x" * 70_000}})
        assert (await ws.closed())[0] == 1009
    # ... and `app.py serve` also has uvicorn refuse it before reading it whole.
    account = await register(limited_gql)
    async with await GraphQLWebSocket.open(limited.url, account.access_token) as ws:
        padding = " " * 5000
        await ws.send(
            {"id": "1", "type": "subscribe", "payload": {"query": NOTIFICATION_EVENTS + padding}}
        )
        code, _ = await ws.closed()
    assert code == 1009


async def stalled_connection(url: str, token: str, conversation: str) -> GraphQLWebSocket:
    """A subscriber that stops reading: a tiny receive buffer and a one-message client queue,
    so the server's writes back up after a few frames."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = url.removeprefix("http://").split(":")
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    connection = await connect(  # uncompressed, so the bytes really pile up
        ws_url(url), subprotocols=[PROTOCOL], sock=sock, max_queue=1, compression=None
    )
    client = GraphQLWebSocket(connection)
    await client.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await client.receive_raw())["type"] == "connection_ack"
    # Each message comes back 25 times in one frame (aliases), three frames a message: the
    # kernel buffers megabytes for a socket before its writer has to wait.
    aliases = " ".join(f"b{i}: body" for i in range(25))
    query = (
        "subscription($c: ID!) { chatEvents(conversation: $c) { "
        f"... on ChatMessageSent {{ message {{ {aliases} }} }} }} }}"
    )
    for _ in range(3):
        await client.subscribe(query, {"c": conversation})
    return client


async def test_a_stalled_subscriber_is_dropped_without_delaying_the_others(
    limited: Limited, limited_gql: GraphQLClient
):
    gql = limited_gql
    ann = await register(gql, display_name="Ann")
    bob = await register(gql, display_name="Bob")
    conversation = (await sent(gql, ann, "hello", to=bob))["conversation"]["id"]
    stalled = await stalled_connection(limited.url, bob.access_token, conversation)
    async with await GraphQLWebSocket.open(limited.url, bob.access_token) as healthy:
        op = await healthy.subscribe(CHAT_EVENTS, {"conversation": conversation})
        body = "🦀" * 3990  # 16 kB a frame: the stalled socket's buffers fill quickly
        worst = 0.0
        for i in range(STALL_MESSAGES):
            started = time.monotonic()
            await sent(gql, ann, f"{i} {body}", conversation=conversation)
            event = (await healthy.next(op, within=2))["data"]["chatEvents"]
            assert event["message"]["body"].startswith(f"{i} ")
            worst = max(worst, time.monotonic() - started)
        assert worst < 1.0
    # The stalled one was dropped: once it reads again it finds a few frames, then the end.
    received = 0
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(10):
            while True:
                await stalled.connection.recv()
                received += 1
    assert received < 3 * STALL_MESSAGES
    assert "dropped a websocket that stopped reading" in limited.log.read_text()


async def test_a_subscription_sent_over_http_is_told_where_to_go(
    http: httpx.AsyncClient, account: Account
):
    response = await http.post(
        "/graphql",
        json={"query": NOTIFICATION_EVENTS},
        headers={"Authorization": f"Bearer {account.access_token}"},
    )
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "websocket" in error["message"]
