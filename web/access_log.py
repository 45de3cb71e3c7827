"""One access line per request, and the requests that never became an operation counted.

The line (logger ``creatorgraph.access``, INFO) carries the request id, method, path, status,
duration, client address and — for GraphQL — the operation's name, type, outcome, cost and
user, which ``schema/operation_observer.py`` leaves in the scope's state. A websocket gets one
line when it closes. Requests to /graphql refused before any GraphQL ran (body too large,
wrong method or content type, a batch) are counted here as operations of no name; the
operations themselves are counted by the schema.

Pure ASGI, outside the other middleware, so it sees every answer, theirs included.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.metrics import Metrics
from schema.operation_record import OperationRecord

log = logging.getLogger("creatorgraph.access")


def outcome_of_status(status: int) -> str:
    if status >= 500:
        return "server_error"
    if status in {413, 429}:
        return "refused"
    if status >= 400:
        return "client_error"
    return "ok"


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, graphql_path: str = "/graphql") -> None:
        self.app = app
        self.metrics = metrics
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaping the app

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.close" and status != 101:
                status = 403  # refused before it was accepted
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self._record(scope, state, status, time.perf_counter() - started)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        operation = state.get("graphql_operation")
        path = scope.get("path", "")
        if not isinstance(operation, OperationRecord):
            operation = None
            if scope["type"] == "http" and path == self.graphql_path and status >= 400:
                self.metrics.observe_operation(
                    None, "unknown", outcome_of_status(status), seconds, None
                )
        peer = scope.get("client")
        fields: dict[str, Any] = {
            "request_id": state.get("request_id"),
            "method": scope.get("method", "WS"),
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client_address": state.get("client_address") or (peer[0] if peer else None),
            "outcome": operation.outcome if operation else outcome_of_status(status),
        }
        if operation is not None:
            fields.update(
                operation=operation.name,
                operation_type=operation.type,
                cost=operation.cost,
                user_id=operation.user_id,
            )
        log.info(
            "%s %s %s %.1fms", fields["method"], path, status, fields["duration_ms"], extra=fields
        )
