"""``Idempotency-Key`` on writes: a client that retries after a lost response gets the first
response again — same status, same bytes, with ``Idempotent-Replayed: true`` — and nothing runs
twice. Storage is resolvers/idempotency.py; this layer decides which requests and which outcomes.

Covered: POST mutations on /graphql and POST to the REST routes (/api/…). Queries, GET and
websockets ignore the header. A request is identified by its method, path and body as JSON
(key order and whitespace do not matter), within its client's scope (the signed-in user, else
the client address). Pure ASGI: it must read the raw body before the view and hold the final
response bytes back until they are kept.

Which outcomes are kept (and replayed for 24 hours) — those after which running the request
again could do something twice:
- a GraphQL response in which at least one mutation field ran: its result is not null and
  carries no "nothing was done, try again" code (``RETRY_CODES``) in its ``userErrors``;
- a GraphQL response whose only errors are bugs (INTERNAL_SERVER_ERROR, masked): the write may
  have happened, so, as Stripe keeps its 500s once an endpoint started, the retry gets the same;
- a REST response with a 2xx status.
Not kept (the key is released and a retry runs the request afresh): any 5xx or other non-2xx
status (refused before any GraphQL ran: method, content type, batch, size), and responses in
which no field ran because of a transient or pre-execution refusal — RETRY_CODES below, e.g.
SERVICE_UNAVAILABLE, RATE_LIMITED, UNAUTHENTICATED, a document that does not parse or validate.
A request that raises releases its key; a crash leaves it claimed for the lock time only.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.idempotency import (
    Claim,
    KeyConflict,
    StoredResponse,
    claim_key,
    client_scope,
    keep_response,
    release_key,
    request_print,
)
from schema.client_address import client_address
from web.refusals import error_body

log = logging.getLogger("creatorgraph.idempotency")

KEY_MAX = 255
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
# Codes that say a field did nothing and a retry may succeed (transient), or that nothing ran.
RETRY_CODES = frozenset(
    {
        "SERVICE_UNAVAILABLE",
        "RATE_LIMITED",
        "PROVIDER_UNAVAILABLE",
        "UNAUTHENTICATED",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "QUERY_TOO_COMPLEX",
    }
)
# Status codes as the IETF draft "The Idempotency-Key HTTP Header Field" assigns them.
_CONFLICTS = {
    KeyConflict.REUSED: (
        422,
        "This Idempotency-Key was already used with a different request; use a new key.",
    ),
    KeyConflict.IN_USE: (
        409,
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ),
}


class IdempotencyMiddleware:
    """In front of the routes, inside the request id, CORS and body-size layers (app.py), so
    replayed responses get this request's id and headers and a body is never read unbounded."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        keep_seconds: int,
        lock_seconds: int,
        max_tokens: int,
    ) -> None:
        self.app = app
        self.secret = secret
        self.keep_seconds = keep_seconds
        self.lock_seconds = lock_seconds
        self.max_tokens = max_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "idempotency-key" not in headers:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        graphql = path == "/graphql"
        if not graphql and not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        read = await read_body(receive)
        if read is None:
            return  # the client left before sending the whole body
        body, receive = read
        payload = _json(body)
        if graphql and not self._is_mutation(payload):
            await self.app(scope, receive, send)
            return
        key = headers["idempotency-key"]
        if not _valid_key(key):
            await _refuse(
                send,
                400,
                f"The Idempotency-Key header must be 1 to {KEY_MAX} printable ASCII characters.",
                "BAD_REQUEST",
            )
            return
        services = scope["state"]["services"]
        owner = client_scope(
            services, headers.get("authorization"), client_address(HTTPConnection(scope))
        )
        canonical = (
            orjson.dumps(payload, option=orjson.OPT_SORT_KEYS) if payload is not None else body
        )
        request = request_print(
            self.secret, owner, key, b"POST " + path.encode("utf-8", "replace") + b"\n" + canonical
        )
        try:
            outcome = await claim_key(
                request, keep_seconds=self.keep_seconds, lock_seconds=self.lock_seconds
            )
        except Exception:
            log.exception("could not claim an idempotency key")
            await _refuse(
                send,
                503,
                "The Idempotency-Key could not be checked; nothing was done. Retry shortly.",
                "SERVICE_UNAVAILABLE",
                retry_after=True,
            )
            return
        if isinstance(outcome, StoredResponse):
            await _send(send, outcome, replayed=True)
        elif isinstance(outcome, KeyConflict):
            status, message = _CONFLICTS[outcome]
            await _refuse(
                send, status, message, outcome.value, retry_after=outcome is KeyConflict.IN_USE
            )
        else:
            await self._run(outcome, graphql, scope, receive, send)

    async def _run(
        self, claim: Claim, graphql: bool, scope: Scope, receive: Receive, send: Send
    ) -> None:
        captured = _CapturedResponse()
        try:
            await self.app(scope, receive, captured.send)
        except BaseException:
            await _release(claim)
            raise
        response = captured.response()
        if _is_final(response, graphql):
            try:
                await keep_response(claim, response)
            except Exception:  # answered anyway; the claim lapses after the lock time
                log.exception("could not keep the response of an idempotency key")
        else:
            await _release(claim)
        await _send(send, response, replayed=False)

    def _is_mutation(self, payload: object) -> bool:
        """Whether the operation a POST body selects is a mutation. Anything that cannot be
        told (not JSON, a batch, a document that does not parse) passes through untouched:
        the view refuses it, and no such refusal is ever kept."""
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return False
        try:
            document = parse(payload["query"], no_location=True, max_tokens=self.max_tokens)
        except (GraphQLError, RecursionError):
            return False
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        name = payload.get("operationName")
        if isinstance(name, str):
            operations = [op for op in operations if op.name is not None and op.name.value == name]
        elif name is not None:
            return False
        return len(operations) == 1 and operations[0].operation is OperationType.MUTATION


class _CapturedResponse:
    """The inner app's response, held back whole until it is kept or released."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
                if name.lower() != b"content-length"
            ]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def response(self) -> StoredResponse:
        return StoredResponse(self.status, self.headers, b"".join(self.chunks))


def _is_final(response: StoredResponse, graphql: bool) -> bool:
    if not 200 <= response.status < 300:
        return False
    if not graphql:
        return True
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(document, dict):
        return False
    errors = [e for e in document.get("errors") or [] if isinstance(e, dict)]
    data = document.get("data")
    if not isinstance(data, dict):  # no field ran, or the whole operation failed
        return bool(errors) and not any(_code(e) in RETRY_CODES for e in errors)
    return any(_field_ran(name, value, errors) for name, value in data.items())


def _field_ran(name: str, value: Any, errors: list[dict[str, Any]]) -> bool:
    """Whether a root mutation field got as far as possibly writing something."""
    if value is None:
        own = [e for e in errors if (e.get("path") or [None])[0] == name]
        return not any(_code(e) in RETRY_CODES for e in own)
    if isinstance(value, dict):
        user_errors = value.get("userErrors") or []
        return not any(isinstance(e, dict) and e.get("code") in RETRY_CODES for e in user_errors)
    return True


def _code(error: dict[str, Any]) -> object:
    extensions = error.get("extensions")
    return extensions.get("code") if isinstance(extensions, dict) else None


def _valid_key(key: str) -> bool:
    # Starlette decodes header bytes as latin-1, so every byte maps to one character.
    return 1 <= len(key) <= KEY_MAX and all(" " <= ch <= "~" for ch in key)


def _json(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


async def read_body(receive: Receive) -> tuple[bytes, Receive] | None:
    """The whole request body, and a ``receive`` that hands it to the app as if unread; None
    when the client disconnected first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _release(claim: Claim) -> None:
    try:
        await release_key(claim)
    except Exception:  # the claim lapses after the lock time instead
        log.exception("could not release an idempotency key")


async def _send(send: Send, response: StoredResponse, *, replayed: bool) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    if replayed:
        headers.append(REPLAYED_HEADER)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _refuse(
    send: Send, status: int, message: str, code: str, *, retry_after: bool = False
) -> None:
    headers = [("content-type", "application/json")]
    if retry_after:
        headers.append(("retry-after", "1"))
    await _send(send, StoredResponse(status, headers, error_body(message, code)), replayed=False)
