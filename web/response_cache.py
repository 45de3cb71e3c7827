"""The response cache in front of Strawberry: trusted queries answered from memory.

A pure ASGI layer right after the persisted-documents layer (app.py), which tells it the trusted
document a request runs (web/trusted_documents.py). Only those requests are considered, and of
them only queries (web/cache_plans.py); everything else passes through untouched.

Key: document id, operation name, the variables with their keys sorted (so key order does not
matter), and the scope: ``public``, or ``user:<id>`` for a document that can answer differently
per viewer sent with a token (web/cache_plans.py decides which, from the document alone). A
token is checked on every request as Strawberry checks it — signature, expiry, kind — and a
request whose token Strawberry would refuse is never answered here: it passes through. What the
signature cannot tell (the account suspended or deleted since) is covered by the ``User:<id>``
tag every viewer-scoped entry carries, which closing, suspending or restoring an account
announces.

Stored: the answer's ``{"data": ...}`` only. The ``extensions`` (the cost report, whose
``throttleStatus`` changes with every request) are left out, so a hit answers ``{"data": ...}``,
and a hit does not spend the client's query-cost budget: it costs the server next to nothing,
which is what the budget meters. Answers with ``errors`` are never stored.

Exactness: entries are tagged with every global id in the answer and in the variables
(``<Type>:<pk>``), their collection (``Discovery`` for lists of profiles) and the viewer
(``User:<id>``); a fill reads the generations' snapshot before running the request and stores
only if no tag moved past it; a hit is served only if its tags' generations are still the ones
stored (adapters/tag_generations.py: in Redis when configured, one MGET per hit). Misses on one
key are single-flight: concurrent readers wait for the first one's fill and then read it.

Every answer this layer considered says ``X-Cache: HIT`` or ``X-Cache: MISS``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.broker import Broker
from adapters.metrics import Metrics
from adapters.tag_generations import TagGenerations
from adapters.tokens import InvalidTokenError
from resolvers.auth import bearer_token
from resolvers.cache_tags import TOPIC, decode_announcement
from resolvers.profile_views import count_view_of, read_counts_as_view
from resolvers.services import Services
from schema.node import decode_id
from web.cache_plans import CachePlan, plans_for
from web.refusals import send_json
from web.response_store import ResponseStore
from web.trusted_documents import TrustedRequest, trusted_request

log = logging.getLogger("creatorgraph.response_cache")

PATH = "/graphql"
HEADER = b"x-cache"
CACHE_NAME = "response"


class ResponseCache:
    """This process's entries, plans and fills in flight; shared by the middleware and the
    lifespan's invalidation listener (``listen``)."""

    def __init__(self, store: ResponseStore, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics
        self._plans: dict[str, dict[str | None, CachePlan]] = {}
        self.flights: dict[bytes, asyncio.Event] = {}

    def plan(self, trusted: TrustedRequest) -> CachePlan | None:
        plans = self._plans.get(trusted.document_id)
        if plans is None:  # trusted documents are a fixed set: this holds one per document
            plans = self._plans[trusted.document_id] = plans_for(trusted.text)
        return plans.get(trusted.operation_name)

    def invalidate(self, tags: list[str], generation: int | None) -> None:
        dropped = self.store.invalidate(tags, generation)
        if dropped:
            self.metrics.response_cache_invalidations.inc(dropped)

    async def listen(self, broker: Broker) -> None:
        """Drops the entries every announced change names, for as long as the app runs. The
        generations already make those entries misses; this frees their bytes at once."""
        while True:
            try:
                async with broker.subscribe(TOPIC) as messages:
                    async for message in messages:
                        try:
                            self.invalidate(*decode_announcement(message))
                        except ValueError:
                            log.warning("ignored a malformed cache announcement")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker dropped us or lost Redis: listen again
                log.warning("cache announcements interrupted (%r); listening again", exc)
                self.store.clear()  # what was missed meanwhile may have been announced
                await asyncio.sleep(0.5)


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, *, cache: ResponseCache | None) -> None:
        self.app = app
        self.cache = cache  # None: RESPONSE_CACHE=off

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache
        if cache is None or scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        trusted = trusted_request(scope)
        services = scope.get("state", {}).get("services")
        plan = cache.plan(trusted) if trusted is not None else None
        if trusted is None or plan is None or not isinstance(services, Services):
            await self.app(scope, receive, send)
            return
        key = _key(scope, trusted, plan, services)
        if key is None:
            await self.app(scope, receive, send)  # Strawberry refuses the token, not us
            return
        request_key, viewer_id = key
        generations = services.tag_generations
        if await self._serve_hit(cache, services, request_key, send):
            return
        flight = cache.flights.get(request_key)
        if flight is not None:  # someone is filling this key: wait, then read what they stored
            await flight.wait()
            if await self._serve_hit(cache, services, request_key, send):
                return
            cache.metrics.cache_requests.labels(CACHE_NAME, "miss").inc()
            await self.app(scope, receive, _marked(send, b"MISS"))
            return
        flight = cache.flights[request_key] = asyncio.Event()
        try:
            cache.metrics.cache_requests.labels(CACHE_NAME, "miss").inc()
            await self._fill(
                cache, generations, scope, receive, send, request_key, trusted, plan, viewer_id
            )
        finally:
            del cache.flights[request_key]
            flight.set()

    async def _serve_hit(
        self, cache: ResponseCache, services: Services, key: bytes, send: Send
    ) -> bool:
        entry = cache.store.get(key)
        if entry is None:
            return False
        current = await services.tag_generations.current(entry.tags)
        if current != (entry.epoch, entry.generations):
            cache.store.remove(key)
            if current is not None:
                cache.metrics.response_cache_invalidations.inc()
            return False
        cache.metrics.cache_requests.labels(CACHE_NAME, "hit").inc()
        if entry.viewed_profile is not None:
            count_view_of(services, entry.viewed_profile)
        await send_json(send, 200, entry.body, (HEADER, b"HIT"))
        return True

    async def _fill(
        self,
        cache: ResponseCache,
        generations: TagGenerations,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: bytes,
        trusted: TrustedRequest,
        plan: CachePlan,
        viewer_id: int | None,
    ) -> None:
        snapshot = await generations.snapshot()
        status = 0
        is_json = False
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, is_json
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                is_json = content_type.startswith("application/json")
                MutableHeaders(scope=message)[HEADER.decode()] = "MISS"
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if snapshot is None or status != 200 or not is_json:
            return
        body = _storable(b"".join(chunks))
        if body is None:
            return
        data = orjson.loads(body)["data"]
        tags = _tags(data, trusted.variables, plan, viewer_id)
        current = await generations.current(tags)
        if current is None or current[0] != snapshot.epoch:
            return
        if any(generation > snapshot.counter for generation in current[1]):
            return  # a change committed while the request ran: the answer may predate it
        viewed = _viewed_profile(data, plan)
        if viewed is not None and not await read_counts_as_view(viewer_id, viewed):
            viewed = None  # the owner's own reads are not views
        cache.store.put(key, body, tags, current[1], snapshot.epoch, viewed)


def _key(
    scope: Scope, trusted: TrustedRequest, plan: CachePlan, services: Services
) -> tuple[bytes, int | None] | None:
    """The entry's key and the viewer it is scoped to; None when the request must not be
    answered or stored here (a token Strawberry would refuse, or variables that cannot be
    keyed)."""
    viewer_id: int | None = None
    authorization = Headers(scope=scope).get("authorization")
    if authorization is not None:
        token = bearer_token(authorization)
        if token is None:
            return None
        try:
            claims = services.tokens.decode(token, "access")
        except InvalidTokenError:
            return None
        if plan.viewer_dependent:
            viewer_id = claims.user_id
    scope_name = "public" if viewer_id is None else f"user:{viewer_id}"
    try:
        key = orjson.dumps(
            [trusted.document_id, trusted.operation_name, trusted.variables, scope_name],
            option=orjson.OPT_SORT_KEYS,
        )
    except orjson.JSONEncodeError:
        return None
    return key, viewer_id


def _storable(body: bytes) -> bytes | None:
    """The answer's ``{"data": ...}`` bytes, or None when it must not be stored."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or "errors" in payload or payload.get("data") is None:
        return None
    return orjson.dumps({"data": payload["data"]})


def _tags(
    data: Any, variables: dict[str, Any], plan: CachePlan, viewer_id: int | None
) -> tuple[str, ...]:
    """Every entity the answer shows or its variables name (a ``profile(id:)`` that answered
    null must learn when that profile appears), the plan's collections, and the viewer."""
    tags = {f"{type_name}:{pk}" for type_name, pk in _global_ids(data, any_string=False)}
    tags |= {f"{type_name}:{pk}" for type_name, pk in _global_ids(variables, any_string=True)}
    tags.update(plan.collection_tags)
    if viewer_id is not None:
        tags.add(f"User:{viewer_id}")
    return tuple(sorted(tags))


def _global_ids(value: Any, *, any_string: bool) -> Iterator[tuple[str, int]]:
    """The decoded global ids in ``value``: under ``id`` keys of the answer, or any string of
    the variables (which are where ids come in, under any name)."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "id" and isinstance(item, str):
                decoded = decode_id(item)
                if decoded is not None:
                    yield decoded
            else:
                yield from _global_ids(item, any_string=any_string)
    elif isinstance(value, list):
        for item in value:
            yield from _global_ids(item, any_string=any_string)
    elif any_string and isinstance(value, str):
        decoded = decode_id(value)
        if decoded is not None:
            yield decoded


def _viewed_profile(data: Any, plan: CachePlan) -> int | None:
    """The profile a hit reads, for its view count (``profile(id)``, ``node`` of a Profile)."""
    for name in plan.viewed_profile_fields:
        found = data.get(name) if isinstance(data, dict) else None
        if isinstance(found, dict) and isinstance(found.get("id"), str):
            decoded = decode_id(found["id"], "Profile")
            if decoded is not None:
                return decoded[1]
    return None


def _marked(send: Send, value: bytes) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)[HEADER.decode()] = value.decode()
        await send(message)

    return marked
