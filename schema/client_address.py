"""Who a request comes from, for per-client limits and logs. The HTTP edge decides it once per
request or websocket (web/client_address.py, which alone reads ``X-Forwarded-For``, and only
from ``TRUSTED_PROXIES``); everything else reads its answer here."""

from __future__ import annotations

from starlette.requests import HTTPConnection

STATE_KEY = "client_address"  # in scope["state"]
UNKNOWN = "unknown"


def client_address(connection: HTTPConnection | None) -> str:
    """The client's address as the edge decided it: the peer, or what our proxies forwarded."""
    if connection is None:
        return UNKNOWN
    address = connection.scope.get("state", {}).get(STATE_KEY)
    return address if isinstance(address, str) else UNKNOWN
