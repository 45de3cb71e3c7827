"""Who a request comes from, decided once per HTTP request and websocket: the peer, unless the
peer is one of our own reverse proxies (``TRUSTED_PROXIES``), in which case the address those
proxies recorded in ``X-Forwarded-For``. Per-client limits and logs read the result from
``scope["state"]["client_address"]`` (schema/client_address.py); nothing else reads the header.

Pure ASGI (not BaseHTTPMiddleware) so websockets pass through it too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

from schema.client_address import STATE_KEY, UNKNOWN
from settings import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=4096)
def parse_address(raw: str) -> Address | None:
    """An address as peers and proxies write it: bare, ``1.2.3.4:port`` or ``[2001:db8::1]:port``.
    IPv4-mapped IPv6 (``::ffff:1.2.3.4``, from a dual-stack socket) is read as the IPv4 address,
    so one client has one spelling. None for anything else (names, ``unknown``, garbage).
    Remembered: every request parses its peer's address, and peers repeat."""
    text = raw.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve_client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]
) -> str:
    """The standard "rightmost untrusted" algorithm (MDN, X-Forwarded-For, "Selecting an IP
    address"): each proxy appends the address it was connected from, so only the entries
    written by our own proxies can be believed, and they are at the right. Starting from the
    peer, walk ``X-Forwarded-For`` from the right, past every trusted proxy; the first address
    that is not one is the client. Everything left of it was written by the client or its
    proxies, and is ignored.

    - An untrusted peer's header is ignored entirely: the peer is the client.
    - An entry that is not an address stops the walk: the nearest trusted hop (the proxy that
      relayed it) is the client's address, as nothing beyond it can be believed.
    - When every entry is a trusted proxy, the leftmost is the client (an internal caller).
    """

    def is_trusted(address: Address) -> bool:
        return any(address in network for network in trusted)

    if peer is None:
        return UNKNOWN
    nearest = parse_address(peer)
    if nearest is None:
        return peer  # not an IP peer (a unix socket, a test client): never a trusted proxy
    if not is_trusted(nearest):
        return str(nearest)
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        nearest = address
        if not is_trusted(address):
            break
    return str(nearest)


class ClientAddressMiddleware:
    """Stores the client's address in ``scope["state"]["client_address"]`` for every HTTP
    request and websocket. Uvicorn's own proxy-header handling is off (app.py), so
    ``scope["client"]`` is the real peer here."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            client = scope.get("client")
            forwarded_for = (
                [
                    v.decode("latin-1")
                    for k, v in scope.get("headers", [])
                    if k == b"x-forwarded-for"
                ]
                if self.trusted_proxies
                else []
            )
            scope.setdefault("state", {})[STATE_KEY] = resolve_client_address(
                client[0] if client else None, forwarded_for, self.trusted_proxies
            )
        await self.app(scope, receive, send)
