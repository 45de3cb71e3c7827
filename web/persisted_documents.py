"""Persisted documents in front of /graphql: a request may name its document by hash instead
of sending the text, and this layer puts the text back before Strawberry sees the request.

Two ways to name one, over POST (JSON body) and GET (query string) alike:
- ``documentId: "sha256:<hex>"`` (GraphQL-over-HTTP persisted documents): only the trusted
  documents in the repo (web/trusted_documents.py). Unknown → ``PERSISTED_DOCUMENT_NOT_FOUND``.
- ``extensions.persistedQuery: {version: 1, sha256Hash}`` (Apollo's automatic persisted
  queries): hash only, the trusted documents and then those clients registered (web/apq_store.py);
  unknown → HTTP 200 with ``PersistedQueryNotFound`` / ``PERSISTED_QUERY_NOT_FOUND``, which is
  what Apollo's PersistedQueryLink looks for before resending with the text. With the text, the
  hash must be the text's sha256 (else refused, as Apollo Server words it) and the text is
  registered unless it is over MAX_DOCUMENT_CHARS (the query limits refuse it then anyway).

The request goes on as an ordinary ``{query, variables, operationName}``, so everything after
(the idempotency layer, Strawberry's GET-only-queries rule, cost and depth limits) applies
unchanged. With ``TRUSTED_DOCUMENTS_ONLY`` only the repo's documents run, however named:
ad-hoc text and APQ registrations are refused with ``PERSISTED_DOCUMENT_REQUIRED``.

Apollo's link hashes the document as graphql-js ``print`` writes it, not the file's bytes, so a
trusted document is also known by the sha256 of its printed form (graphql-core's ``print_ast``
writes the same text): an Apollo client sending a repo document by hash runs it at once,
without registering anything.

Every outcome is counted in ``creatorgraph_persisted_queries_total{kind, result}``, so an
operator sees whether clients hit, register, miss or get refused (a wave of ``not_found`` after
a deploy means the APQ store was emptied; ``mismatch`` means a broken client).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import orjson
from graphql import parse, print_ast
from redis.asyncio import Redis
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.metrics import Metrics
from adapters.redis_circuit import RedisCircuit
from web.apq_store import ApqStore
from web.idempotency import read_body
from web.refusals import error_body, send_json
from web.trusted_documents import (
    PREFIX,
    STATE_KEY,
    TrustedRequest,
    document_id,
    sha256_hex,
)

PATH = "/graphql"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class PersistedDocumentsMiddleware:
    """Outside the idempotency layer (app.py), which must see the text to tell a mutation."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        documents: dict[str, str],
        trusted_only: bool,
        max_document_chars: int,
        apq_cache_bytes: int,
        apq_ttl_seconds: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.documents = documents
        self.ids_by_text = {text: doc_id for doc_id, text in documents.items()}
        self.trusted_by_hash = _trusted_by_hash(documents)
        self.trusted_only = trusted_only
        self.max_document_chars = max_document_chars
        self.store = ApqStore(apq_cache_bytes, apq_ttl_seconds)
        self.metrics = metrics or Metrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        try:
            if scope["method"] == "GET":
                scope = await self._rewrite_query_string(scope)
            elif scope["method"] == "POST" and _is_json(scope):
                read = await read_body(receive)
                if read is None:
                    return  # the client left before sending the whole body
                body, receive = read
                scope, receive = await self._rewrite_body(scope, body, receive)
        except Refused as refusal:
            await _refuse(send, refusal)
            return
        await self.app(scope, receive, send)

    async def _rewrite_query_string(self, scope: Scope) -> Scope:
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        if not params.keys() & {"query", "documentId", "extensions"}:
            return scope  # GraphiQL's page, or a request Strawberry refuses itself
        extensions: Any = None
        variables: Any = None
        if "variables" in params:
            try:
                variables = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                return scope  # Strawberry answers the malformed parameter
        if "extensions" in params:
            try:
                extensions = orjson.loads(params["extensions"])
            except orjson.JSONDecodeError:
                return scope  # Strawberry answers the malformed parameter
        text = await self._resolve(scope, params.get("query"), params.get("documentId"), extensions)
        if text is None:
            self._note_trusted(scope, params.get("query"), params.get("operationName"), variables)
            return scope
        self._note_trusted(scope, text, params.get("operationName"), variables)
        params.pop("documentId", None)
        params["query"] = text
        rest = _without_persisted_query(extensions)
        if rest:
            params["extensions"] = orjson.dumps(rest).decode()
        else:
            params.pop("extensions", None)
        return {**scope, "query_string": _query_string(params).encode("latin-1")}

    async def _rewrite_body(
        self, scope: Scope, body: bytes, receive: Receive
    ) -> tuple[Scope, Receive]:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return scope, receive  # Strawberry refuses it, as before
        if not isinstance(payload, dict):
            return scope, receive
        extensions = payload.get("extensions")
        text = await self._resolve(
            scope, payload.get("query"), payload.get("documentId"), extensions
        )
        if text is None:
            self._note_trusted(
                scope, payload.get("query"), payload.get("operationName"), payload.get("variables")
            )
            return scope, receive
        self._note_trusted(scope, text, payload.get("operationName"), payload.get("variables"))
        payload.pop("documentId", None)
        payload["query"] = text
        rest = _without_persisted_query(extensions)
        if rest:
            payload["extensions"] = rest
        else:
            payload.pop("extensions", None)
        new_body = orjson.dumps(payload)
        scope = dict(scope)
        scope["headers"] = list(scope["headers"])  # a copy: the outer layers keep theirs
        headers = MutableHeaders(scope=scope)
        headers["content-length"] = str(len(new_body))
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": new_body, "more_body": False}
            return await receive()

        return scope, replay

    def _note_trusted(
        self, scope: Scope, text: object, operation_name: object, variables: object
    ) -> None:
        """Records a TrustedRequest in the scope's state when ``text`` is a trusted document
        and the rest of the request is well formed (else Strawberry answers it as before)."""
        if not isinstance(text, str) or text not in self.ids_by_text:
            return
        if operation_name is not None and not isinstance(operation_name, str):
            return
        if variables is None:
            variables = {}
        if not isinstance(variables, dict):
            return
        scope.setdefault("state", {})[STATE_KEY] = TrustedRequest(
            self.ids_by_text[text], text, operation_name, variables, scope["method"]
        )

    async def _resolve(
        self, scope: Scope, query: object, doc_id: object, extensions: object
    ) -> str | None:
        """The text to run, or None to let the request through untouched."""
        if doc_id is not None:
            text = self.documents.get(doc_id) if isinstance(doc_id, str) else None
            self.metrics.persisted_query("document", "not_found" if text is None else "hit")
            if text is None:
                raise Refused(
                    200,
                    "No trusted document has this documentId; see `python app.py documents`.",
                    "PERSISTED_DOCUMENT_NOT_FOUND",
                )
            return text
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is not None:
            return await self._automatic(scope, query, persisted)
        if (
            self.trusted_only
            and isinstance(query, str)
            and document_id(query) not in self.documents
        ):
            self.metrics.persisted_query("document", "refused")
            raise _required()
        return None

    async def _automatic(self, scope: Scope, query: object, persisted: object) -> str | None:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            self.metrics.persisted_query("apq", "refused")
            raise Refused(
                400, "Unsupported persisted query version", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        sha256 = persisted.get("sha256Hash")
        if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256):
            self.metrics.persisted_query("apq", "refused")
            raise Refused(400, "sha256Hash must be 64 lowercase hex digits", "BAD_REQUEST")
        trusted = self.trusted_by_hash.get(sha256)
        if query is None:
            text = trusted
            if text is None and not self.trusted_only:
                text = await self.store.get(sha256, *_redis(scope))
            self.metrics.persisted_query("apq", "not_found" if text is None else "hit")
            if text is None:
                raise Refused(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return text
        if not isinstance(query, str):
            return None  # Strawberry refuses a query that is not a string
        if sha256_hex(query) != sha256:
            self.metrics.persisted_query("apq", "mismatch")
            raise Refused(400, "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
        if trusted is not None:
            self.metrics.persisted_query("apq", "hit")
            return trusted  # the file's text, so the layers after know the document
        if self.trusted_only:
            self.metrics.persisted_query("apq", "refused")
            raise _required()
        if len(query) > self.max_document_chars:
            # Not kept; the query limits refuse the text itself.
            self.metrics.persisted_query("apq", "refused")
            return query
        await self.store.put(sha256, query, *_redis(scope))
        self.metrics.persisted_query("apq", "registered")
        return query


def _trusted_by_hash(documents: dict[str, str]) -> dict[str, str]:
    """``{sha256 hex: text}`` for each trusted document, by its exact text and by its printed
    form (what Apollo's PersistedQueryLink hashes)."""
    by_hash: dict[str, str] = {}
    for doc_id, text in documents.items():
        by_hash[sha256_hex(print_ast(parse(text)))] = text
        by_hash[doc_id.removeprefix(PREFIX)] = text
    return by_hash


def _query_string(params: dict[str, str]) -> str:
    """``urlencode(params)``, with the document text's quoting remembered: the text is the long
    part of the query string, and the same few documents are quoted on every hashed GET."""
    return "&".join(
        f"{quote_plus(name)}={_quoted_text(value) if name == 'query' else quote_plus(value)}"
        for name, value in params.items()
    )


@lru_cache(maxsize=256)
def _quoted_text(text: str) -> str:
    return quote_plus(text)


def _redis(scope: Scope) -> tuple[Redis | None, RedisCircuit | None]:
    """The process's Redis client and circuit, from the lifespan's state (web/health.py's
    Dependencies): one client per process, and a Redis that is down is left alone here too."""
    dependencies = scope.get("state", {}).get("dependencies")
    if dependencies is None:
        return None, None
    return dependencies.redis, dependencies.circuit


def _required() -> Refused:
    return Refused(
        400,
        "This server runs only its trusted documents: send a documentId from "
        "`python app.py documents`.",
        "PERSISTED_DOCUMENT_REQUIRED",
    )


def _without_persisted_query(extensions: object) -> dict[str, Any] | None:
    if not isinstance(extensions, dict):
        return None
    return {k: v for k, v in extensions.items() if k != "persistedQuery"} or None


def _is_json(scope: Scope) -> bool:
    content_type = Headers(scope=scope).get("content-type", "")
    return content_type.partition(";")[0].strip().lower() == "application/json"


async def _refuse(send: Send, refusal: Refused) -> None:
    await send_json(send, refusal.status, error_body(refusal.message, refusal.code))
