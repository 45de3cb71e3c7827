"""The compiled read plans: trusted document id → the coroutine that answers it with one SQL
statement (resolvers/compiled/), for web/compiled_reads.py.

The registry's shape::

    PLANS: dict[str, Plan]             # key: document id, "sha256:<hex>" of the file's text
    Plan = Callable[[CompiledRequest], Awaitable[bytes | None]]

A plan gets the request (its TrustedRequest, scope, services) and returns the whole response
body, or None — or raises ``NotCompilable`` — to leave the request to Strawberry. It must fall
back wherever Strawberry would answer with an error (a malformed variable, unexpected variables,
an invalid or expired token, a viewer who may not act, a cost over the limit, an exhausted
budget), so errors stay exactly Strawberry's; it answers only what it reproduces exactly.

What every plan shares is on CompiledRequest: ``viewer_id()`` decodes the access token as
Strawberry's context does (without the database: the plan's statement checks the user), and
``answer(data, viewer_id)`` charges the query budget and records the operation as the GraphQL
path does (schema/query_limits.py, schema/operation_observer.py), then frames
``{"data":…,"extensions":{"cost":…}}`` around the database's bytes.

To add a plan: write its statement in resolvers/compiled/, a plan function here, and one entry
in PLANS (keyed with ``trusted_id("<File>")``); tests/test_compiled_reads.py must compare it
with Strawberry.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.types import Scope

from adapters.tokens import InvalidTokenError
from resolvers import auth
from resolvers.compiled import profile as compiled_profile
from resolvers.profile_views import count_view
from resolvers.services import Services
from schema.client_address import STATE_KEY as CLIENT_ADDRESS
from schema.client_address import UNKNOWN
from schema.cost import PageSizeOutOfRange
from schema.node import decode_id, encode_id
from schema.operation_record import OperationRecord
from schema.query_limits import DocumentCosts, budget_key, spend_budget
from web.trusted_documents import DOCUMENTS_DIR, TrustedRequest, document_id


class NotCompilable(Exception):
    """Raised by a plan (or CompiledRequest) to leave the request to Strawberry."""


@dataclass(slots=True)
class CompiledRequest:
    trusted: TrustedRequest
    scope: Scope
    services: Services
    costs: DocumentCosts
    max_query_cost: int
    operation_name: str  # the document's operation, as the GraphQL path names it
    started: float = field(default_factory=time.perf_counter)

    @property
    def authorization(self) -> str | None:
        return Headers(scope=self.scope).get("authorization")

    def viewer_id(self) -> int | None:
        """The user id the access token names, None without a token. A token Strawberry would
        refuse (malformed header, bad signature, expired, not an access token) is not compiled."""
        token = auth.bearer_token(self.authorization)
        if token is None:
            if self.authorization:
                raise NotCompilable("not a bearer token")
            return None
        try:
            return self.services.tokens.decode(token, "access").user_id
        except InvalidTokenError:
            raise NotCompilable("invalid token") from None

    async def answer(self, data: bytes, viewer_id: int | None) -> bytes:
        """The response body around ``data`` (the JSON of ``data``), once the request has paid
        for it: the same cost, from the same budget, as the GraphQL path charges."""
        trusted = self.trusted
        try:
            requested = self.costs.cost(trusted.text, trusted.operation_name, trusted.variables)
        except PageSizeOutOfRange:
            raise NotCompilable("page size out of range") from None
        if requested > self.max_query_cost:
            raise NotCompilable("over the cost limit")
        address = self.scope.get("state", {}).get(CLIENT_ADDRESS)
        key = budget_key(viewer_id, address if isinstance(address, str) else UNKNOWN)
        extension, refusal = await spend_budget(self.services, key, requested)
        if refusal is not None:
            raise NotCompilable("budget exhausted")
        record = OperationRecord(
            name=self.operation_name,
            type="query",
            outcome="ok",
            cost=requested,
            user_id=viewer_id,
            seconds=time.perf_counter() - self.started,
        )
        self.scope.setdefault("state", {})["graphql_operation"] = record  # the access log's
        self.services.metrics.observe_operation(
            record.name, record.type, record.outcome, record.seconds, record.cost
        )
        return b'{"data":' + data + b',"extensions":' + orjson.dumps({"cost": extension}) + b"}"


Plan = Callable[[CompiledRequest], Awaitable[bytes | None]]


def _only_variables(variables: dict[str, Any], *names: str) -> bool:
    return set(variables) <= set(names)


async def profile_by_id(request: CompiledRequest) -> bytes | None:
    """ProfileById: ``profile(id)``, null when absent or not visible; a read by anyone but the
    owner counts a view (resolvers/profile_views.py)."""
    variables = request.trusted.variables
    raw_id = variables.get("id")
    if not _only_variables(variables, "id") or not isinstance(raw_id, str):
        return None
    decoded = decode_id(raw_id, "Profile")
    if decoded is None:
        return None
    pk = decoded[1]
    viewer_id = request.viewer_id()
    found = await compiled_profile.profile_by_id(
        pk, viewer_id, orjson.dumps(encode_id("Profile", pk))
    )
    if not found.viewer_ok:
        return None
    body = await request.answer(b'{"profile":' + (found.body or b"null") + b"}", viewer_id)
    if found.owner_id is not None:
        count_view(request.services, viewer_id, pk, found.owner_id)
    return body


async def viewer_profile(request: CompiledRequest) -> bytes | None:
    """ViewerProfile: the signed-in user with their profile; null when anonymous."""
    if request.trusted.variables:
        return None
    viewer_id = request.viewer_id()
    if viewer_id is None:
        return await request.answer(b'{"viewer":null}', None)
    found = await compiled_profile.viewer_profile(
        viewer_id, orjson.dumps(encode_id("User", viewer_id))
    )
    if not found.usable or found.body is None:
        return None
    return await request.answer(b'{"viewer":' + found.body + b"}", viewer_id)


def trusted_id(name: str) -> str:
    """The document id of schema/documents/<name>.graphql."""
    return document_id((DOCUMENTS_DIR / f"{name}.graphql").read_bytes().decode("utf-8"))


PLANS: dict[str, Plan] = {
    trusted_id("ProfileById"): profile_by_id,
    trusted_id("ViewerProfile"): viewer_profile,
}
