"""The compiled read path: the hottest trusted documents answered by one SQL statement each,
the response JSON built by the database and sent on as bytes (issue 9, item 3).

Pure ASGI, the innermost layer before Strawberry (app.py): a request that runs a trusted
document (web/trusted_documents.py) with a plan in web/compiled_plans.py is answered by the
plan; anything a plan does not reproduce exactly goes on to Strawberry unchanged, which is how
errors stay Strawberry's. ``COMPILED_READS=off`` sends everything to Strawberry.
``creatorgraph_compiled_reads_total{document,result}`` counts served and fallback requests.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLSchema
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.metrics import Metrics
from schema.query_limits import DocumentCosts
from web.compiled_plans import PLANS, CompiledRequest, NotCompilable, Plan
from web.refusals import send_json
from web.trusted_documents import load_documents, trusted_request

PATH = "/graphql"
log = logging.getLogger("creatorgraph.compiled_reads")
_OPERATION = re.compile(r"^\s*query\s+([A-Za-z_][A-Za-z0-9_]*)")


class CompiledReadsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        enabled: bool,
        schema: GraphQLSchema,
        metrics: Metrics,
        max_query_cost: int,
        plans: dict[str, Plan] | None = None,
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.metrics = metrics
        self.max_query_cost = max_query_cost
        self.costs = DocumentCosts(schema)
        documents = load_documents()
        self.plans: dict[str, tuple[Plan, str]] = {}
        for doc_id, plan in (PLANS if plans is None else plans).items():
            found = _OPERATION.match(documents[doc_id])
            if found is None:
                raise ValueError(f"compiled document {doc_id} is not a named query")
            self.plans[doc_id] = (plan, found.group(1))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        trusted = trusted_request(scope)
        entry = self.plans.get(trusted.document_id) if trusted is not None else None
        if trusted is None or entry is None:
            await self.app(scope, receive, send)
            return
        plan, operation = entry
        body: bytes | None = None
        if trusted.operation_name in (None, operation):
            request = CompiledRequest(
                trusted,
                scope,
                scope["state"]["services"],
                self.costs,
                self.max_query_cost,
                operation,
            )
            try:
                body = await plan(request)
            except NotCompilable:
                body = None
            except Exception:
                # A bug in a plan, or the database failing under it: Strawberry answers, as it
                # would have (an outage as SERVICE_UNAVAILABLE); the trace is logged here.
                log.exception("compiled plan for %s failed; answered by Strawberry", operation)
                body = None
        self.metrics.compiled_read(operation, served=body is not None)
        if body is None:
            await self.app(scope, receive, send)
            return
        await send_json(send, 200, body)
