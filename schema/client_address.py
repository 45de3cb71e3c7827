"""Who a request comes from, for per-client limits: the one place that decides it."""

from __future__ import annotations

from starlette.requests import HTTPConnection

UNKNOWN = "unknown"


def client_address(connection: HTTPConnection | None) -> str:
    """The peer's address as the server sees it. Behind a proxy this is the proxy's; trusting
    ``X-Forwarded-For`` from configured proxies only is a decision for this function alone."""
    client = connection.client if connection is not None else None
    return client.host if client is not None else UNKNOWN
