"""The client address per-client limits count under: X-Forwarded-For is believed only as far as
our own proxies (TRUSTED_PROXIES) wrote it; a client cannot pick its own address."""

from __future__ import annotations

import ipaddress
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from settings import Settings, SettingsError
from tests.conftest import RunningServer, server_environment, uses_postgres
from tests.server_process import served
from web.client_address import ClientAddressMiddleware, resolve_client_address

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48"))


def resolve(peer: str | None, *forwarded_for: str, trusted=PROXIES) -> str:
    return resolve_client_address(peer, forwarded_for, trusted)


def test_nothing_is_trusted_by_default():
    assert Settings.from_env({"JWT_SECRET": "x" * 40}).trusted_proxies == ()
    assert resolve("127.0.0.1", "203.0.113.9", trusted=()) == "127.0.0.1"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored():
    assert resolve("198.51.100.4", "203.0.113.9") == "198.51.100.4"
    assert resolve("198.51.100.4", "10.0.0.1") == "198.51.100.4"  # even naming our proxy


def test_a_trusted_proxy_forwards_the_client_address():
    assert resolve("10.0.0.2", "203.0.113.9") == "203.0.113.9"


def test_the_chain_is_walked_from_the_right_past_our_proxies_only():
    # The client wrote "1.1.1.1" itself; our two proxies appended what they saw.
    assert resolve("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.3") == "203.0.113.9"
    # The same chain split over several header lines reads as one list, in order.
    assert resolve("10.0.0.2", "1.1.1.1", "203.0.113.9", "10.0.0.3") == "203.0.113.9"
    # A proxy of someone else's in the middle is not skipped: it is the client for us.
    assert resolve("10.0.0.2", "203.0.113.9, 198.51.100.7") == "198.51.100.7"


def test_only_our_proxies_on_the_chain_means_the_leftmost_is_the_client():
    assert resolve("10.0.0.2", "10.1.2.3, 10.0.0.3") == "10.1.2.3"


def test_garbage_stops_the_walk_at_the_nearest_trusted_hop():
    for garbage in ["unknown", "<script>", "999.1.1.1", "203.0.113.9/24", "_hidden", "\x00"]:
        assert resolve("10.0.0.2", garbage) == "10.0.0.2", garbage
        assert resolve("10.0.0.2", f"{garbage}, 10.0.0.3") == "10.0.0.3", garbage
    # Entries left of the garbage are never reached.
    assert resolve("10.0.0.2", "203.0.113.9, bogus, 10.0.0.3") == "10.0.0.3"
    # Empty entries carry no claim and are passed over.
    assert resolve("10.0.0.2", "203.0.113.9, ,") == "203.0.113.9"
    assert resolve("10.0.0.2", "") == "10.0.0.2"


def test_ports_brackets_and_spellings_give_one_address_per_client():
    assert resolve("10.0.0.2", "203.0.113.9:4711") == "203.0.113.9"
    assert resolve("10.0.0.2", "[2001:DB8::0:1]:443") == "2001:db8::1"
    assert resolve("10.0.0.2", "2001:db8:0::1") == "2001:db8::1"
    assert resolve("::ffff:10.0.0.2", "::ffff:203.0.113.9") == "203.0.113.9"
    assert resolve("2001:db8:ffff::5", "2001:db8::1") == "2001:db8::1"


def test_a_peer_that_is_no_address_is_taken_as_it_is():
    assert resolve(None, "203.0.113.9") == "unknown"
    assert resolve("testclient", "203.0.113.9") == "testclient"


def test_trusted_proxies_setting_takes_addresses_and_networks_and_refuses_typos():
    settings = Settings.from_env(
        {"JWT_SECRET": "x" * 40, "TRUSTED_PROXIES": " 10.0.0.0/8, ::1 ,192.0.2.1,"}
    )
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128", "192.0.2.1/32"]
    for typo in ["10.0.0.1/8", "proxy.internal", "*", "10.0.0.0/33"]:
        with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
            Settings.from_env({"JWT_SECRET": "x" * 40, "TRUSTED_PROXIES": typo})


@pytest.mark.parametrize("kind", ["http", "websocket"])
async def test_the_middleware_stores_the_address_for_requests_and_websockets(kind):
    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["state"]["client_address"])

    middleware = ClientAddressMiddleware(app, PROXIES)
    headers = [(b"x-forwarded-for", b"1.1.1.1, 203.0.113.9"), (b"x-forwarded-for", b"10.0.0.3")]
    for peer in ["10.0.0.2", "198.51.100.4"]:
        scope = {"type": kind, "client": (peer, 5555), "headers": headers}
        await middleware(scope, None, None)
    assert seen == ["203.0.113.9", "198.51.100.4"]


QUERY = {"query": "{ profiles(first: 1) { edges { cursor } } }"}


async def budget_left(http: httpx.AsyncClient, forwarded_for: str) -> int:
    """What the anonymous query-cost budget of the client the server sees has left."""
    response = await http.post("/graphql", json=QUERY, headers={"X-Forwarded-For": forwarded_for})
    return response.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]


def fresh_address() -> str:
    """A client no other test has used: its own IPv6 /64, the block address limits count by."""
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"


async def test_a_trusted_proxy_gives_each_forwarded_client_its_own_budget(server: RunningServer):
    # The test server trusts 127.0.0.1 (tests/conftest.py).
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as proxy:
        assert await budget_left(proxy, fresh_address()) == await budget_left(
            proxy, fresh_address()
        )


async def test_an_untrusted_client_spends_one_budget_whatever_it_claims(server: RunningServer):
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=30) as http:
        first = await budget_left(http, fresh_address())
        assert await budget_left(http, fresh_address()) < first


async def test_the_served_app_does_not_let_uvicorn_believe_forwarded_for(server: RunningServer):
    """``app.py serve`` with nothing trusted: uvicorn's own proxy handling (which trusts
    127.0.0.1 unless told otherwise) must not hand the header's address to the app."""
    env = server_environment(TRUSTED_PROXIES="", QUERY_COST_BUDGET="1000/minute")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'untrusting.sqlite3'}"
    async with served(env) as process, httpx.AsyncClient(base_url=process.url) as http:
        first = await budget_left(http, "203.0.113.1")
        assert await budget_left(http, "203.0.113.2") < first
