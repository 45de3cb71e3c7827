"""The one guard against server-side request forgery: a URL given by a user (an avatar link, a
proxied CDN image, later a webhook) may only reach public internet addresses.

``check_public_url`` resolves the host and refuses the URL when any address it resolves to is
private, loopback, link-local (cloud metadata at 169.254.169.254 lives there), multicast,
reserved or otherwise not globally routable. ``GuardedTransport`` is the httpx transport that
applies it to every request it sends, each redirect hop included (httpx sends each hop through
the transport), and connects to the very address it checked: the URL's host is replaced by that
address, with the name kept for ``Host`` and TLS (SNI and certificate checks), so a name that
resolves to a public address for the check and a private one for the connection (DNS rebinding)
gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Not covered by ``is_global`` on every Python version, named here so the rule reads whole:
# shared address space (carrier NAT), and the IPv6 prefixes that embed an IPv4 address.
_BLOCKED_NETWORKS = (
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("2002::/16"),
)
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class BlockedUrlError(Exception):
    """The URL may not be fetched: not http(s), no host, unresolvable, or a non-public address."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


def is_public_address(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Whether ``address`` is a globally routable unicast address (IPv4-mapped IPv6 judged by
    the IPv4 address it carries). ``allow_loopback`` is the tests' switch for a fake server."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow_loopback and any(address in network for network in _LOOPBACK):
        return True
    if any(address in network for network in _BLOCKED_NETWORKS):
        return False
    return address.is_global and not address.is_multicast


async def check_public_url(
    url: str,
    *,
    schemes: frozenset[str] = frozenset({"https"}),
    resolver: Resolver = system_resolver,
    allow_loopback: bool = False,
) -> list[IPAddress]:
    """The addresses ``url``'s host resolves to, when every one of them is public; otherwise
    ``BlockedUrlError``. All must pass, not one: a client would otherwise pick the private one."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedUrlError("not a valid URL") from exc
    if parts.scheme not in schemes:
        raise BlockedUrlError(f"only {', '.join(sorted(schemes))} URLs are allowed")
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        raise BlockedUrlError("the URL needs a host and no credentials")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise BlockedUrlError(f"{host} does not resolve") from exc
    if not found:
        raise BlockedUrlError(f"{host} does not resolve")
    for address in found:
        if not is_public_address(address, allow_loopback=allow_loopback):
            raise BlockedUrlError(f"{host} resolves to a non-public address")
    return found


class AddressGuard:
    """``check_public_url`` with this process's resolver, shared by every caller (profile
    validation, the image proxy's transport), so tests can give them all one fake DNS."""

    def __init__(self, resolver: Resolver = system_resolver) -> None:
        self.resolver = resolver

    async def check(
        self,
        url: str,
        schemes: frozenset[str] = frozenset({"https"}),
        *,
        allow_loopback: bool = False,
    ) -> list[IPAddress]:
        return await check_public_url(
            url, schemes=schemes, resolver=self.resolver, allow_loopback=allow_loopback
        )


class GuardedTransport(httpx.AsyncBaseTransport):
    """Sends each request (each redirect hop too) only to a checked public address, pinned for
    the connection. Wraps an ordinary transport, which tests may replace."""

    def __init__(
        self,
        guard: AddressGuard,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        schemes: frozenset[str] = frozenset({"https"}),
        allow_loopback: bool = False,
    ) -> None:
        self._guard = guard
        self._inner = inner or httpx.AsyncHTTPTransport()
        self._schemes = schemes
        self._allow_loopback = allow_loopback

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            addresses = await self._guard.check(
                str(request.url), self._schemes, allow_loopback=self._allow_loopback
            )
        except BlockedUrlError as exc:
            raise httpx.ConnectError(f"refused: {exc}", request=request) from exc
        # A copy, not the request itself: httpx resolves the next redirect against this one.
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=str(addresses[0])),
            headers=request.headers,  # ``Host`` keeps the name, set from the URL by httpx
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": request.url.host},
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()
