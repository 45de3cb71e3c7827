"""Outbound webhooks: endpoints and their secret, signed deliveries of the owner's events,
retries with backoff, disabling after a day of failures, and the SSRF guard at creation and at
every delivery."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

import models
from models import SyncSource
from resolvers.sync import SYSTEM, SyncItem, apply_sync
from resolvers.webhook_outbox import event_body, queue
from resolvers.webhooks import send_due_webhooks
from settings import Settings, SettingsError
from tests.conftest import Account, GraphQLClient, RunningServer, register
from tests.fakes.dns import PUBLIC_ADDRESS, FakeDns
from tests.realtime_support import pk

CREATE = """
mutation Create($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    endpoint { id url events enabled }
    secret
    userErrors { field message code }
  }
}"""

ENDPOINTS = """
query Endpoints {
  webhookEndpoints {
    edges { node {
      id url enabled
      deliveries { edges { node {
        event deliveredAt givenUpAt nextAttemptAt
        attempts { statusCode latencyMs error attemptedAt }
      } } }
    } }
  }
}"""

PING = """
mutation Ping($input: WebhookEndpointInput!) {
  webhookEndpointTestPing(input: $input) {
    delivery { id event }
    userErrors { field code }
  }
}"""

DELETE = """
mutation Delete($input: WebhookEndpointInput!) {
  webhookEndpointDelete(input: $input) {
    deletedEndpointId
    userErrors { field code }
  }
}"""


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on loopback that answers each request as told: a status, a
    redirect, or nothing at all (it hangs)."""

    status: int = 204
    location: str | None = None
    hang: bool = False
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")[1:]
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(headers, body))
            if self.hang:
                await asyncio.sleep(30)
            extra = f"location: {self.location}\r\n" if self.location else ""
            writer.write(
                f"HTTP/1.1 {self.status} X\r\n{extra}content-length: 0\r\n"
                "connection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def wait_for(self, count: int) -> list[Received]:
        for _ in range(500):
            if len(self.requests) >= count:
                return self.requests
            await asyncio.sleep(0.01)
        raise AssertionError(f"the receiver got {len(self.requests)} requests, not {count}")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
def loopback_allowed(server: RunningServer) -> Iterator[None]:
    """WEBHOOK_ALLOW_PRIVATE for this test: http and loopback receivers (the suite's server
    starts with it off, the production rule)."""
    server.services.webhooks.allow_private = True
    yield
    server.services.webhooks.allow_private = False


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks reference check, written out: the HMAC-SHA256 of
    "{id}.{timestamp}.{body}" keyed by the base64 secret after "whsec_", compared with each
    space-separated "v1,<base64>" signature, and a timestamp within five minutes."""
    key = base64.b64decode(secret.split("_", 1)[1])
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    return any(
        version == "v1" and hmac.compare_digest(given, expected)
        for version, _, given in (s.partition(",") for s in headers["webhook-signature"].split())
    )


async def create(
    gql: GraphQLClient, owner: Account, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    data = await gql.data(
        CREATE,
        {"input": {"url": url, "events": events or ["SYNC_COMPLETED"]}},
        token=owner.access_token,
    )
    return data["webhookEndpointCreate"]


async def created(
    gql: GraphQLClient, owner: Account, url: str, events: list[str] | None = None
) -> tuple[str, str]:
    """A new endpoint's global ID and its secret."""
    payload = await create(gql, owner, url, events)
    assert payload["userErrors"] == []
    return payload["endpoint"]["id"], payload["secret"]


async def ping(gql: GraphQLClient, owner: Account, endpoint_id: str) -> dict[str, Any]:
    data = await gql.data(PING, {"input": {"endpoint": endpoint_id}}, token=owner.access_token)
    return data["webhookEndpointTestPing"]


async def attempts_made(delivery_id: int, count: int) -> models.WebhookDelivery:
    """The delivery once ``count`` attempts are recorded and its claim released."""
    for _ in range(500):
        delivery = await models.WebhookDelivery.get(id=delivery_id)
        recorded = await models.WebhookAttempt.filter(delivery_id=delivery_id).count()
        if recorded >= count and delivery.claimed_until is None:
            return delivery
        await asyncio.sleep(0.01)
    raise AssertionError(f"delivery {delivery_id} did not reach {count} attempts")


async def endpoints(gql: GraphQLClient, owner: Account) -> list[dict[str, Any]]:
    data = await gql.data(ENDPOINTS, token=owner.access_token)
    return [e["node"] for e in data["webhookEndpoints"]["edges"]]


async def test_a_sync_nobody_asked_for_reaches_the_owners_endpoint_signed(
    gql: GraphQLClient,
    server: RunningServer,
    receiver: Receiver,
    loopback_allowed: None,
):
    owner = await register(gql)
    endpoint_id, secret = await created(gql, owner, receiver.url, ["SYNC_COMPLETED"])
    other = Receiver()
    await other.start()
    await created(gql, owner, other.url, ["SYNC_FAILED"])  # not subscribed to this event
    await apply_sync(
        server.services,
        pk(owner.user_id),
        [SyncItem("TIKTOK", 1200)],
        source=SyncSource.PROVIDER,
        initiated_by=SYSTEM,
    )
    [request] = await receiver.wait_for(1)
    assert verify(secret, request.headers, request.body)
    assert not verify(secret, request.headers, request.body + b" ")
    event = orjson.loads(request.body)
    assert event["type"] == "SYNC_COMPLETED"
    assert event["data"]["body"] == "Your TikTok stats were updated."
    assert request.headers["webhook-id"].startswith("msg_")
    await asyncio.sleep(0.1)
    assert other.requests == []
    await other.stop()
    [listed] = [e for e in await endpoints(gql, owner) if e["id"] == endpoint_id]
    [delivery] = [d["node"] for d in listed["deliveries"]["edges"]]
    assert delivery["event"] == "SYNC_COMPLETED"
    assert delivery["deliveredAt"] is not None and delivery["nextAttemptAt"] is None
    assert [a["statusCode"] for a in delivery["attempts"]] == [204]


async def test_the_secret_is_shown_once_and_a_limit_holds(
    gql: GraphQLClient, receiver: Receiver, loopback_allowed: None
):
    owner = await register(gql)
    _, secret = await created(gql, owner, receiver.url)
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    result = await gql.post(
        "{ webhookEndpoints { edges { node { secret } } } }", token=owner.access_token
    )
    assert "errors" in result  # no field ever returns it again
    for _ in range(9):
        await created(gql, owner, receiver.url)
    refused = await create(gql, owner, receiver.url)
    assert [e["code"] for e in refused["userErrors"]] == ["TOO_MANY"]
    assert refused["secret"] is None


async def test_a_failing_receiver_is_retried_with_backoff_and_given_up_after_a_day(
    gql: GraphQLClient, server: RunningServer, receiver: Receiver, loopback_allowed: None
):
    receiver.status = 500
    owner = await register(gql)
    endpoint_id, _ = await created(gql, owner, receiver.url)
    delivery_id = pk((await ping(gql, owner, endpoint_id))["delivery"]["id"])
    first = await attempts_made(delivery_id, 1)
    assert first.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50)
    await send_due_webhooks(server.services)  # not due yet
    assert len(receiver.requests) == 1
    await models.WebhookDelivery.filter(id=delivery_id).update(next_attempt_at=datetime.now(UTC))
    await send_due_webhooks(server.services)
    second = await attempts_made(delivery_id, 2)
    assert second.next_attempt_at > datetime.now(UTC) + timedelta(seconds=110)
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    # A day after it was queued, the next failure is the last.
    await models.WebhookDelivery.filter(id=delivery_id).update(
        next_attempt_at=datetime.now(UTC), created_at=datetime.now(UTC) - timedelta(hours=25)
    )
    await send_due_webhooks(server.services)
    await models.WebhookDelivery.filter(id=delivery_id).update(next_attempt_at=datetime.now(UTC))
    await send_due_webhooks(server.services)
    assert len(receiver.requests) == 3
    [listed] = await endpoints(gql, owner)
    [delivery] = [d["node"] for d in listed["deliveries"]["edges"]]
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 500, 500]
    assert all(a["error"] == "answered HTTP 500" for a in delivery["attempts"])
    assert delivery["givenUpAt"] is not None and delivery["deliveredAt"] is None


async def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(
    gql: GraphQLClient, server: RunningServer, receiver: Receiver, loopback_allowed: None
):
    receiver.status = 503
    owner = await register(gql)
    endpoint_id, _ = await created(gql, owner, receiver.url)
    delivery_id = pk((await ping(gql, owner, endpoint_id))["delivery"]["id"])
    await attempts_made(delivery_id, 1)
    await send_due_webhooks(server.services)
    assert (await endpoints(gql, owner))[0]["enabled"] is True
    await models.WebhookEndpoint.filter(id=pk(endpoint_id)).update(
        failing_since=datetime.now(UTC) - timedelta(hours=25)
    )
    await models.WebhookDelivery.filter(id=delivery_id).update(next_attempt_at=datetime.now(UTC))
    await send_due_webhooks(server.services)
    assert (await endpoints(gql, owner))[0]["enabled"] is False
    [note] = await models.Notification.filter(
        recipient_id=pk(owner.user_id), type=models.NotificationType.WEBHOOK_DISABLED
    )
    assert receiver.url in note.body
    # Nothing more is sent to it, and it takes no pings.
    assert [e["code"] for e in (await ping(gql, owner, endpoint_id))["userErrors"]] == ["INVALID"]
    count = len(receiver.requests)
    await models.WebhookDelivery.filter(id=delivery_id).update(next_attempt_at=datetime.now(UTC))
    await send_due_webhooks(server.services)
    assert len(receiver.requests) == count


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://internal.webhooks.test/hook",
        "http://hooks.example.com/hook",  # plain http: https only
    ],
)
async def test_private_destinations_are_refused_at_creation(
    gql: GraphQLClient, fake_dns: FakeDns, url: str
):
    fake_dns.add("internal.webhooks.test", "10.0.0.1")
    fake_dns.add("hooks.example.com", PUBLIC_ADDRESS)
    owner = await register(gql)
    refused = await create(gql, owner, url)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["url"], "INVALID")]
    assert refused["endpoint"] is None
    assert await endpoints(gql, owner) == []


async def test_a_name_that_turns_private_after_creation_is_refused_at_delivery(
    gql: GraphQLClient, fake_dns: FakeDns
):
    fake_dns.add("rebind.webhooks.test", PUBLIC_ADDRESS)
    owner = await register(gql)
    endpoint_id, _ = await created(gql, owner, "https://rebind.webhooks.test/hook")
    fake_dns.add("rebind.webhooks.test", "10.0.0.1")
    delivery_id = pk((await ping(gql, owner, endpoint_id))["delivery"]["id"])
    await attempts_made(delivery_id, 1)
    [attempt] = await models.WebhookAttempt.filter(delivery_id=delivery_id)
    assert attempt.status_code is None
    assert attempt.error is not None and "non-public address" in attempt.error


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://127.0.0.1/"]
)
async def test_a_redirect_is_not_followed(
    gql: GraphQLClient, receiver: Receiver, loopback_allowed: None, target: str
):
    receiver.status, receiver.location = 307, target
    owner = await register(gql)
    endpoint_id, _ = await created(gql, owner, receiver.url)
    delivery_id = pk((await ping(gql, owner, endpoint_id))["delivery"]["id"])
    await attempts_made(delivery_id, 1)
    [attempt] = await models.WebhookAttempt.filter(delivery_id=delivery_id)
    assert (attempt.status_code, attempt.error) == (307, "redirects are not followed")
    assert len(receiver.requests) == 1


async def test_a_receiver_that_hangs_is_recorded_as_timed_out(
    gql: GraphQLClient, server: RunningServer, receiver: Receiver, loopback_allowed: None
):
    receiver.hang = True
    sender = server.services.webhooks
    total = sender.total_seconds
    sender.total_seconds = 0.3
    try:
        owner = await register(gql)
        endpoint_id, _ = await created(gql, owner, receiver.url)
        delivery_id = pk((await ping(gql, owner, endpoint_id))["delivery"]["id"])
        await attempts_made(delivery_id, 1)
    finally:
        sender.total_seconds = total
    [attempt] = await models.WebhookAttempt.filter(delivery_id=delivery_id)
    assert attempt.error == "timed out" and attempt.status_code is None
    assert 250 <= attempt.latency_ms < 3000


async def test_another_users_endpoint_answers_as_not_found(
    gql: GraphQLClient, receiver: Receiver, loopback_allowed: None
):
    owner, stranger = await register(gql), await register(gql)
    endpoint_id, _ = await created(gql, owner, receiver.url)
    assert await endpoints(gql, stranger) == []
    node = "query($id: ID!) { node(id: $id) { id } }"
    seen = await gql.data(node, {"id": endpoint_id}, token=stranger.access_token)
    assert seen["node"] is None
    assert (await gql.data(node, {"id": endpoint_id}, token=owner.access_token))["node"] == {
        "id": endpoint_id
    }
    refused_ping = await ping(gql, stranger, endpoint_id)
    assert [e["code"] for e in refused_ping["userErrors"]] == ["NOT_FOUND"]
    refused = await gql.data(
        DELETE, {"input": {"endpoint": endpoint_id}}, token=stranger.access_token
    )
    assert [e["code"] for e in refused["webhookEndpointDelete"]["userErrors"]] == ["NOT_FOUND"]
    deleted = await gql.data(DELETE, {"input": {"endpoint": endpoint_id}}, token=owner.access_token)
    assert deleted["webhookEndpointDelete"]["deletedEndpointId"] == endpoint_id
    assert await endpoints(gql, owner) == []


def test_production_refuses_the_private_receivers_switch():
    env = {"CREATORGRAPH_ENV": "production", "JWT_SECRET": "s" * 48}
    assert Settings.from_env(env).webhook_allow_private is False
    with pytest.raises(SettingsError, match="WEBHOOK_ALLOW_PRIVATE"):
        Settings.from_env({**env, "WEBHOOK_ALLOW_PRIVATE": "true"})
    test = {**env, "CREATORGRAPH_ENV": "test", "WEBHOOK_ALLOW_PRIVATE": "true"}
    assert Settings.from_env(test).webhook_allow_private is True


async def test_a_delivery_is_sent_once_however_many_senders_run(
    gql: GraphQLClient, server: RunningServer, receiver: Receiver, loopback_allowed: None
):
    owner = await register(gql)
    endpoint_id, _ = await created(gql, owner, receiver.url)
    endpoint = await models.WebhookEndpoint.get(id=pk(endpoint_id))
    delivery = await queue(endpoint, "PING", event_body("PING", {}, datetime.now(UTC)))
    await asyncio.gather(*(send_due_webhooks(server.services) for _ in range(3)))
    await attempts_made(delivery.id, 1)
    assert len(receiver.requests) == 1
    assert await models.WebhookAttempt.filter(delivery_id=delivery.id).count() == 1
