"""Limits seen by a hostile client: each counts what the client itself does — from its own
address, or as its own user — so no one can spend someone else's attempts, and spoofed
X-Forwarded-For headers buy nothing."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from adapters.ratelimit import RateLimiter
from tests.conftest import PASSWORD, RunningServer, register, unique_email
from tests.realtime_support import ask, send

TOKEN_CREATE = """
mutation($input: TokenCreateInput!) {
  tokenCreate(input: $input) { accessToken userErrors { field message code } }
}"""

REGISTER = """
mutation($input: AccountRegisterInput!) {
  accountRegister(input: $input) { accessToken userErrors { field message code } }
}"""


@contextlib.contextmanager
def tight(server: RunningServer, limiter: str, rate: str) -> Iterator[None]:
    """The server's ``limiter`` (a Services field) replaced by a fresh one at ``rate``."""
    services = server.services
    original = getattr(services, limiter)
    namespace = f"{limiter}-test-{uuid.uuid4().hex[:8]}"
    setattr(services, limiter, RateLimiter.from_url(rate, server.settings.redis_url, namespace))
    try:
        yield
    finally:
        setattr(services, limiter, original)


@contextlib.asynccontextmanager
async def untrusted_client(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client that is not one of our proxies (the test server trusts only 127.0.0.1)."""
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=30) as client:
        yield client


async def call(
    http: httpx.AsyncClient,
    document: str,
    field: str,
    data: dict[str, Any],
    forwarded_for: str | None = None,
) -> dict[str, Any]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = await http.post(
        "/graphql", json={"query": document, "variables": {"input": data}}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"][field]


async def sign_in(
    http: httpx.AsyncClient, email: str, password: str, forwarded_for: str | None = None
) -> dict[str, Any]:
    data = {"email": email, "password": password}
    return await call(http, TOKEN_CREATE, "tokenCreate", data, forwarded_for)


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def test_a_stranger_cannot_lock_a_user_out_from_another_address(
    gql, http: httpx.AsyncClient, server: RunningServer
):
    victim = await register(gql)
    with tight(server, "sign_in_limiter", "3/minute"):
        for _ in range(3):
            payload = await sign_in(http, victim.email, "wrong password!", "203.0.113.7")
            assert codes(payload) == ["INVALID_CREDENTIALS"]
        refused = await sign_in(http, victim.email, victim.password, "203.0.113.7")
        assert codes(refused) == ["RATE_LIMITED"]
        assert "sign-in attempts" in refused["userErrors"][0]["message"]
        # The victim, elsewhere, is not affected.
        welcome = await sign_in(http, victim.email, victim.password, "198.51.100.8")
        assert welcome["userErrors"] == [] and welcome["accessToken"]


async def test_one_address_is_limited_across_every_email_known_or_not(
    gql, http: httpx.AsyncClient, server: RunningServer
):
    known = await register(gql)
    with tight(server, "sign_in_address_limiter", "4/minute"):
        for email in [known.email, unique_email("a"), unique_email("b"), unique_email("c")]:
            payload = await sign_in(http, email, "wrong password!", "203.0.113.20")
            assert codes(payload) == ["INVALID_CREDENTIALS"]
        # The fifth is refused alike for a known and an unknown email: nothing to enumerate.
        for email in [known.email, unique_email("d")]:
            refused = await sign_in(http, email, "wrong password!", "203.0.113.20")
            assert codes(refused) == ["RATE_LIMITED"]
        other = await sign_in(http, known.email, known.password, "203.0.113.21")
        assert other["userErrors"] == []


async def test_spoofed_forwarded_for_from_an_untrusted_client_buys_no_attempts(
    gql, server: RunningServer
):
    victim = await register(gql)
    with tight(server, "sign_in_address_limiter", "3/minute"):
        async with untrusted_client(server) as attacker:
            for n in range(3):
                payload = await sign_in(attacker, victim.email, "wrong!!!", f"203.0.113.{n}")
                assert codes(payload) == ["INVALID_CREDENTIALS"]
            refused = await sign_in(attacker, victim.email, "wrong!!!", "203.0.113.99")
            assert codes(refused) == ["RATE_LIMITED"]
        # The limit was counted for 127.0.0.2, not for the addresses it claimed.
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as proxy:
            claimed = await sign_in(proxy, victim.email, victim.password, "203.0.113.0")
            assert claimed["userErrors"] == []


class CountingHasher:
    def __init__(self, hasher: Any) -> None:
        self.hasher, self.hashes = hasher, 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return await self.hasher.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self.hasher.verify(password_hash, password)


async def test_registrations_are_limited_per_address_before_any_password_is_hashed(
    http: httpx.AsyncClient, server: RunningServer
):
    def registration() -> dict[str, Any]:
        return {
            "email": unique_email("reg"),
            "password": PASSWORD,
            "role": "CREATOR",
            "displayName": "Flood",
        }

    services = server.services
    original, counting = services.passwords, CountingHasher(services.passwords)
    services.passwords = counting  # type: ignore[assignment]  # a stand-in that counts hashes
    try:
        with tight(server, "register_limiter", "2/hour"):
            for _ in range(2):
                payload = await call(
                    http, REGISTER, "accountRegister", registration(), "203.0.113.30"
                )
                assert payload["userErrors"] == []
            assert counting.hashes == 2
            refused = await call(http, REGISTER, "accountRegister", registration(), "203.0.113.30")
            assert codes(refused) == ["RATE_LIMITED"] and refused["accessToken"] is None
            assert "registrations" in refused["userErrors"][0]["message"]
            assert "minutes" in refused["userErrors"][0]["message"]
            assert counting.hashes == 2  # the refused one cost no argon2 time
            other = await call(http, REGISTER, "accountRegister", registration(), "203.0.113.31")
            assert other["userErrors"] == []
    finally:
        services.passwords = original


async def test_the_31st_message_in_a_minute_is_refused(gql, server: RunningServer):
    ann, bob, cat = [await register(gql) for _ in range(3)]
    with tight(server, "message_limiter", "30/minute;1000/day"):
        for n in range(30):
            assert (await send(gql, ann, f"hello {n}", to=bob))["userErrors"] == []
        refused = await send(gql, ann, "one too many", to=cat)
        assert codes(refused) == ["RATE_LIMITED"]
        assert "Too many messages" in refused["userErrors"][0]["message"]
        # Bob's own messages are his to send.
        assert (await send(gql, bob, "still here", to=ann))["userErrors"] == []
    # The refused message reached no one.
    cats = await gql.data(
        "{ conversations(first: 5) { edges { cursor } } }", token=cat.access_token
    )
    assert cats["conversations"]["edges"] == []


async def test_a_day_of_messages_used_up_says_to_come_back_in_hours(gql, server: RunningServer):
    ann, bob = await register(gql), await register(gql)
    with tight(server, "message_limiter", "30/minute;2/day"):
        for _ in range(2):
            assert (await send(gql, ann, "hi", to=bob))["userErrors"] == []
        refused = await send(gql, ann, "hi", to=bob)
        assert codes(refused) == ["RATE_LIMITED"]
        assert refused["userErrors"][0]["message"].endswith(" hours."), refused


async def test_collaboration_requests_are_limited_per_minute_and_per_day(
    gql, server: RunningServer
):
    sender = await register(gql)
    recipients = [await register(gql) for _ in range(4)]
    with tight(server, "collab_request_limiter", "2/minute;100/day"):
        for recipient in recipients[:2]:
            assert (await ask(gql, sender, recipient))["userErrors"] == []
        refused = await ask(gql, sender, recipients[2])
        assert codes(refused) == ["RATE_LIMITED"] and refused["collabRequest"] is None
        assert "collaboration requests" in refused["userErrors"][0]["message"]
    with tight(server, "collab_request_limiter", "10/minute;1/day"):
        assert (await ask(gql, sender, recipients[2]))["userErrors"] == []
        refused = await ask(gql, sender, recipients[3])
        assert codes(refused) == ["RATE_LIMITED"]
        assert refused["userErrors"][0]["message"].endswith(" hours."), refused


async def test_an_ipv6_client_cannot_rotate_addresses_within_its_block(
    gql, http: httpx.AsyncClient, server: RunningServer
):
    account = await register(gql)
    with tight(server, "sign_in_address_limiter", "2/minute"):
        for address in ["2001:db8:1:2::a", "2001:db8:1:2:ffff::1"]:
            payload = await sign_in(http, account.email, "wrong password!", address)
            assert codes(payload) == ["INVALID_CREDENTIALS"]
        refused = await sign_in(http, account.email, account.password, "2001:db8:1:2::b")
        assert codes(refused) == ["RATE_LIMITED"]
        elsewhere = await sign_in(http, account.email, account.password, "2001:db8:1:3::a")
        assert elsewhere["userErrors"] == []
