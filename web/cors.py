"""Which browser origins may call the API over HTTP: CORS, decided by ``CORS_ORIGINS``.

A browser sends ``Origin`` on cross-origin requests; clients that are not browsers send none and
are not affected. Credentials are allowed only to listed origins, and every CORS header is
withheld from the rest — their requests still reach the app, but their scripts cannot read the
answers. Websockets are outside CORS: the same list goes to Strawberry's view as
``allowed_origins``, which refuses a handshake (HTTP 403) from any other foreign origin before
accepting it, while same-origin pages (GraphiQL) and clients without ``Origin`` pass.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = "GET, POST"
# Safelisted headers need no mention; these are the ones clients of this API add.
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID"
EXPOSED_HEADERS = "X-Request-ID, Retry-After, Idempotent-Replayed"
PREFLIGHT_MAX_AGE = "600"


class CorsMiddleware:
    """Answers preflight requests for listed origins and adds CORS headers to their responses."""

    def __init__(self, app: ASGIApp, origins: Collection[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        listed = origin if origin is not None and origin in self.origins else None
        if scope["method"] == "OPTIONS" and origin and "access-control-request-method" in headers:
            await _preflight(send, listed, headers)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if listed is not None:
                    response_headers["Access-Control-Allow-Origin"] = listed
                    response_headers["Access-Control-Allow-Credentials"] = "true"
                    response_headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _preflight(send: Send, allowed_origin: str | None, request: Headers) -> None:
    """204 with the allowed methods and headers for a listed origin; 403 without any CORS header
    otherwise (the browser then blocks the actual request)."""
    headers = [(b"vary", b"Origin")]
    if allowed_origin is None:
        status = 403
    else:
        status = 204
        headers += [
            (b"access-control-allow-origin", allowed_origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
        ]
        # A listed public origin may call an API on a private address (Chrome's Private
        # Network Access); the operator named it, so it is trusted as much as any listed origin.
        if "access-control-request-private-network" in request:
            headers.append((b"access-control-allow-private-network", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
