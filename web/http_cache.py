"""HTTP caching of GraphQL queries sent with GET (the only ones a browser or CDN may cache:
POST answers get ``no-store`` from web/headers.py, mutations cannot be sent with GET).

Each 200 JSON answer gets:
- a strong ``ETag``, the sha256 of its bytes less the top-level ``extensions`` (the cost report,
  whose ``throttleStatus`` moves with every request: with it no two answers would ever match),
  with ``-gzip`` when the gzip layer outside will compress it (a strong validator names one
  representation, and the gzipped bytes are another); ``If-None-Match`` with it → 304 without
  a body. The same query with its variables' keys in another order answers the same data, so
  the same ETag;
- ``Cache-Control``: ``public, max-age, stale-while-revalidate`` for anonymous answers (an
  anonymous request sees public data only); ``private, no-cache`` with ``Authorization`` (the
  answer may be the viewer's: only the browser keeps it, and asks again each time); ``no-store``
  when the answer carries errors (a rate limit or a PersistedQueryNotFound is not to be kept);
- ``Vary``: Authorization here; Origin (web/cors.py) and Accept-Encoding (the gzip layer, above
  its threshold; here below it) are added by their layers.

Other answers (GraphiQL's page, refusals, multipart streams) pass through untouched, unbuffered.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATH = "/graphql"
QUERY_PARAMETERS = frozenset({"query", "documentId", "extensions"})


class HttpCacheMiddleware:
    """Inside the gzip layer (app.py): it sees, and hashes, the uncompressed bytes."""

    def __init__(
        self, app: ASGIApp, *, max_age: int, stale_seconds: int, gzip_min_bytes: int
    ) -> None:
        self.app = app
        self.public = f"public, max-age={max_age}, stale-while-revalidate={stale_seconds}"
        self.gzip_min_bytes = gzip_min_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if not _asks_a_query(scope["query_string"]):
            await self.app(scope, receive, send)  # GraphiQL's page
            return
        request = Headers(scope=scope)
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold_back(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _is_json(message):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._answer(request, start, b"".join(chunks), send)
                return
            await send(message)

        await self.app(scope, receive, hold_back)

    async def _answer(self, request: Headers, start: Message, body: bytes, send: Send) -> None:
        gzipped = "gzip" in request.get("accept-encoding", "") and len(body) >= self.gzip_min_bytes
        answer: Any
        if body.startswith(b'{"data":') and b'"errors"' not in body and b'"extensions"' not in body:
            # An answer without errors or extensions (a response-cache hit): nothing to strip,
            # so its bytes are hashed as they are. The quoted key names cannot hide inside a
            # JSON string, where their quotes would be escaped.
            answer, validated = {}, body
        else:
            try:
                answer = orjson.loads(body)
            except orjson.JSONDecodeError:
                answer = None
            if isinstance(answer, dict):
                answer.pop("extensions", None)
                validated = orjson.dumps(answer)
            else:
                validated = body
        etag = f'"{hashlib.sha256(validated).hexdigest()}{"-gzip" if gzipped else ""}"'
        headers = MutableHeaders(scope=start)
        headers["ETag"] = etag
        if not isinstance(answer, dict) or "errors" in answer:
            headers["Cache-Control"] = "no-store"
        elif "authorization" in request:
            headers["Cache-Control"] = "private, no-cache"
        else:
            headers["Cache-Control"] = self.public
        headers.add_vary_header("Authorization" if gzipped else "Authorization, Accept-Encoding")
        if _matches(request.get("if-none-match"), etag):
            for name in ("content-type", "content-length"):
                if name in headers:
                    del headers[name]
            await send({**start, "status": 304})
            await send({"type": "http.response.body", "body": b""})
            return
        headers["Content-Length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _asks_a_query(query_string: bytes) -> bool:
    """Whether the query string names a query (GraphiQL's page names none). A plain substring
    test first: parsing every hashed GET's query string only to find a name costs more than
    the rest of a response-cache hit; a false positive is harmless (only JSON answers are held
    back), so only the negative is checked by parsing."""
    if any(name in query_string for name in _QUERY_NAMES):
        return True
    names = {name for name, _ in parse_qsl(query_string.decode("latin-1"))}
    return bool(names & QUERY_PARAMETERS)


_QUERY_NAMES = tuple(f"{name}=".encode() for name in sorted(QUERY_PARAMETERS))


def _is_json(start: Message) -> bool:
    content_type = Headers(raw=start.get("headers", [])).get("content-type", "")
    return content_type.partition(";")[0].strip().lower() == "application/json"


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison, as If-None-Match uses: ``W/`` does not matter."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
