"""The SSRF guard on its own (adapters/ssrf.py): every internal address is refused, whether
written literally, hidden behind a name, or reached by a redirect; a public one passes and is
the address actually connected to."""

from __future__ import annotations

import httpx
import pytest

from adapters.ssrf import AddressGuard, BlockedUrlError, GuardedTransport, check_public_url
from tests.fakes.dns import PUBLIC_ADDRESS, FakeDns


@pytest.fixture
def dns() -> FakeDns:
    dns = FakeDns()
    dns.add("images.example.com", PUBLIC_ADDRESS)
    dns.add("internal.example.com", "10.0.0.1")
    dns.add("metadata.example.com", "169.254.169.254")
    dns.add("mixed.example.com", PUBLIC_ADDRESS, "192.168.1.10")
    return dns


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://127.1.2.3/",
        "https://10.0.0.1/",
        "https://172.16.0.1/",
        "https://192.168.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",  # carrier-grade NAT
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://[::1]/",
        "https://[fe80::1]/",
        "https://[fc00::1]/",
        "https://[::ffff:10.0.0.1]/",  # IPv4-mapped
        "https://[::ffff:127.0.0.1]/",
    ],
)
async def test_guard_refuses_internal_addresses(url: str, dns: FakeDns):
    with pytest.raises(BlockedUrlError):
        await check_public_url(url, resolver=dns.resolve)


@pytest.mark.parametrize(
    "host", ["internal.example.com", "metadata.example.com", "mixed.example.com"]
)
async def test_guard_refuses_a_name_resolving_to_an_internal_address(host: str, dns: FakeDns):
    with pytest.raises(BlockedUrlError, match="non-public"):
        await check_public_url(f"https://{host}/a.png", resolver=dns.resolve)


@pytest.mark.parametrize(
    "url",
    [
        "http://images.example.com/a.png",  # https only
        "file:///etc/passwd",
        "https://user:pass@images.example.com/a.png",
        "https://unknown.example.com/a.png",  # does not resolve
        "https:///a.png",
    ],
)
async def test_guard_refuses_other_schemes_credentials_and_unknown_names(url: str, dns: FakeDns):
    with pytest.raises(BlockedUrlError):
        await check_public_url(url, resolver=dns.resolve)


async def test_guard_passes_a_public_name_and_says_where_it_resolves(dns: FakeDns):
    addresses = await check_public_url("https://images.example.com/a.png", resolver=dns.resolve)
    assert [str(a) for a in addresses] == [PUBLIC_ADDRESS]


async def test_the_tests_switch_allows_loopback_and_nothing_else(dns: FakeDns):
    await check_public_url("https://127.0.0.1/", resolver=dns.resolve, allow_loopback=True)
    await check_public_url("https://[::1]/", resolver=dns.resolve, allow_loopback=True)
    for url in ("https://10.0.0.1/", "https://169.254.169.254/"):
        with pytest.raises(BlockedUrlError):
            await check_public_url(url, resolver=dns.resolve, allow_loopback=True)


def guarded_client(dns: FakeDns, answer: httpx.MockTransport) -> httpx.AsyncClient:
    transport = GuardedTransport(AddressGuard(dns.resolve), answer, schemes=frozenset({"https"}))
    return httpx.AsyncClient(transport=transport, follow_redirects=True)


async def test_transport_connects_to_the_checked_address_under_the_name(dns: FakeDns):
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=b"ok")

    async with guarded_client(dns, httpx.MockTransport(answer)) as client:
        response = await client.get("https://images.example.com/a.png")
    assert response.status_code == 200
    (request,) = sent
    assert request.url.host == PUBLIC_ADDRESS  # pinned: no second lookup to rebind
    assert request.headers["host"] == "images.example.com"
    assert request.extensions["sni_hostname"] == "images.example.com"


@pytest.mark.parametrize(
    "location",
    [
        "https://10.0.0.1/a.png",
        "https://127.0.0.1/a.png",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/a.png",
        "https://internal.example.com/a.png",
    ],
)
async def test_transport_refuses_a_redirect_to_an_internal_address(location: str, dns: FakeDns):
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    async with guarded_client(dns, httpx.MockTransport(answer)) as client:
        with pytest.raises(httpx.ConnectError, match="refused"):
            await client.get("https://images.example.com/a.png")
    assert sent == [f"https://{PUBLIC_ADDRESS}/a.png"]  # the redirect was never followed
