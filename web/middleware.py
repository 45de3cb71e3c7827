"""HTTP plumbing around every request: a request id for logs and clients, and a body-size cap.

Pure ASGI (not BaseHTTPMiddleware) so websockets and streaming pass through untouched.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.refusals import error_body, send_json

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class RequestIdMiddleware:
    """Takes a sane ``X-Request-ID`` from the client or makes one, keeps it in
    ``scope["state"]["request_id"]`` and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _CLIENT_ID.match(sent) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodySizeLimitMiddleware:
    """Answers 413 to a request body over ``max_bytes``, whether declared or streamed. A route
    that takes larger bodies (an upload) names its own cap in ``per_path`` (exact paths): the
    cap still holds there, before the body is read, only higher."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.per_path.get(scope["path"], self.max_bytes)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await _too_large(send)
            return
        received = 0
        started = False

        async def guarded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    await send_json(send, 413, error_body("Request body too large", "PAYLOAD_TOO_LARGE"))
