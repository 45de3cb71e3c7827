"""Bounded work before execution: size, structure, validation, cost and budget, in that order.

Each step is cheaper than the one it protects: the text's length is checked before parsing, the
number of selections before validating, the static cost before running, and the client's budget
before spending anything on it. Parsed and validated documents are kept by text in a cache
bounded by bytes (schema/document_cache.py) that only documents passing every limit enter.
Every response carries ``extensions.cost`` in Shopify's shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from resolvers.limits import address_key
from resolvers.services import Services
from schema.client_address import client_address
from schema.cost import PageSizeOutOfRange, operation_cost, variables_read
from schema.document_cache import DocumentCache, PreparedDocument
from schema.document_limits import (
    count_selections,
    document_too_large,
    introspection_only,
    too_many_selections,
)
from schema.errors import PublicError
from schema.limit_rules import page_size_error
from settings import Settings

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True, slots=True)
class QueryLimitSettings:
    max_document_chars: int
    max_selections: int
    max_query_cost: int
    # A document that asks only about the schema (GraphiQL's and codegen's introspection query
    # weighs ~500) may weigh this much while introspection is on; 0 when it is off.
    max_introspection_selections: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimitSettings:
        return cls(
            settings.max_document_chars,
            settings.max_selections,
            settings.max_query_cost,
            settings.max_introspection_selections if settings.introspection else 0,
        )

    def allowed_selections(self, document: DocumentNode) -> int:
        """The weight ``document`` may have: more for pure introspection, which the schema
        itself bounds, so development tools keep working under a tight limit."""
        if self.max_introspection_selections > self.max_selections and introspection_only(document):
            return self.max_introspection_selections
        return self.max_selections


class QueryLimits(SchemaExtension):
    """One instance per operation (pass a factory); the cache is shared, built with the schema."""

    def __init__(self, limits: QueryLimitSettings, cache: DocumentCache) -> None:
        super().__init__()
        self.limits = limits
        self.cache = cache
        self.prepared: PreparedDocument | None = None
        self.cost: dict[str, Any] | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is not None:
            if len(query) > self.limits.max_document_chars:
                raise document_too_large(len(query), self.limits.max_document_chars)
            self.prepared = self.cache.get(query)
            if self.prepared is not None:
                context.graphql_document = self.prepared.document
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None or context.query is None:
            yield
            return
        prepared = self.prepared
        if prepared is None:
            selections = count_selections(document)
            allowed = self.limits.allowed_selections(document)
            if selections > allowed:
                raise too_many_selections(selections, allowed)
            prepared = PreparedDocument(document, selections)
        rules = tuple(context.validation_rules)
        if prepared.rules != rules or prepared.errors is None:
            prepared.errors = validate_document(context.schema._schema, document, rules)
            prepared.rules = rules
        context.pre_execution_errors = prepared.errors
        if prepared.errors:
            yield
            return
        if self.prepared is None:
            self.cache.put(context.query, prepared)
        requested = self._requested_cost(prepared)
        record = getattr(context.context, "operation", None)  # for metrics and the access log
        if record is not None:
            record.cost = requested
        if requested > self.limits.max_query_cost:
            self.cost = cost_extension(requested, None, None)
            raise PublicError(
                f"The query's cost is {requested}; the limit is {self.limits.max_query_cost}. "
                "Ask for smaller pages or fewer nested connections.",
                QUERY_TOO_COMPLEX,
                cost=requested,
                maxCost=self.limits.max_query_cost,
            )
        await self._spend(requested)
        yield

    def _requested_cost(self, prepared: PreparedDocument) -> int:
        context = self.execution_context
        variables = context.variables or {}
        if prepared.cost_variables is None:
            prepared.cost_variables = variables_read(prepared.document)
        key = (
            context.operation_name,
            *(_hashable(variables.get(name)) for name in sorted(prepared.cost_variables)),
        )
        cost = prepared.costs.get(key)
        if cost is None:
            try:
                cost = operation_cost(
                    context.schema._schema, prepared.document, context.operation_name, variables
                )
            except PageSizeOutOfRange as exc:
                raise page_size_error(exc.argument, exc.value) from None
            prepared.remember_cost(key, cost)
        return cost

    async def _spend(self, requested: int) -> None:
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION and context.root_value is not None:
            # The subscription hub runs the document again for every event, with the event as
            # root value: the subscriber paid once, when it subscribed.
            self.cost = cost_extension(requested, requested, None)
            return
        request_context = context.context
        services = getattr(request_context, "services", None)
        if services is None:  # executed in process without a request (tests, tools)
            self.cost = cost_extension(requested, requested, None)
            return
        self.cost, refusal = await spend_budget(
            services, await _client_key(request_context), requested
        )
        if refusal is not None:
            raise refusal

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost} if self.cost is not None else {}


async def _client_key(context: Any) -> str:
    """Per user when signed in, else per client address (a bad token counts as anonymous
    here; the fields that need the viewer still refuse it)."""
    try:
        viewer = await context.viewer()
    except GraphQLError:
        viewer = None
    return budget_key(viewer.id if viewer is not None else None, client_address(context.request))


def budget_key(user_id: int | None, address: str) -> str:
    """The budget a request spends from: its user's when signed in, else its address's."""
    if user_id is not None:
        return f"user:{user_id}"
    return address_key(address)


async def spend_budget(
    services: Services, client: str, requested: int
) -> tuple[dict[str, Any], PublicError | None]:
    """Takes ``requested`` points from ``client``'s budget: the ``extensions.cost`` to answer
    with, and the error to raise when the budget is exhausted (nothing is taken then). Shared by
    the GraphQL path and the compiled one (web/compiled_plans.py), which charge alike."""
    budget = services.query_budget
    state = await budget.spend(client, requested)
    throttle = {
        "maximumAvailable": budget.maximum,
        "currentlyAvailable": state.available,
        "restoreRate": budget.restore_rate,
    }
    if not state.allowed:
        return cost_extension(requested, None, throttle), PublicError(
            f"Query cost budget exhausted. Try again in {state.retry_after} seconds.",
            RATE_LIMITED,
            retryAfter=state.retry_after,
            cost=requested,
        )
    return cost_extension(requested, requested, throttle), None


def cost_extension(
    requested: int, actual: int | None, throttle: dict[str, Any] | None
) -> dict[str, Any]:
    """Shopify's ``extensions.cost``: the actual cost is the requested one (nothing is refunded
    yet), and null when the query did not run."""
    cost: dict[str, Any] = {"requestedQueryCost": requested, "actualQueryCost": actual}
    if throttle is not None:
        cost["throttleStatus"] = throttle
    return cost


def _hashable(value: object) -> object:
    """A variable's value as part of the cost cache's key, its type included: ``True`` and
    ``1.0`` equal ``1`` as keys, but not as page sizes (the cost prices only an Int)."""
    if isinstance(value, int | str | float | bool | None):
        return (type(value), value)
    return repr(value)


class DocumentCosts:
    """The requested cost of trusted documents for the compiled read path, as ``QueryLimits``
    computes it: parsed once per text, the cost kept per operation and cost-relevant variables
    (page sizes, bounded by their range: an out-of-range one raises ``PageSizeOutOfRange``,
    which the GraphQL path answers as an error)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._documents: dict[str, tuple[DocumentNode, frozenset[str]]] = {}
        self._costs: dict[tuple[object, ...], int] = {}

    def cost(self, text: str, operation_name: str | None, variables: dict[str, Any]) -> int:
        found = self._documents.get(text)
        if found is None:
            document = parse(text)
            found = (document, frozenset(variables_read(document)))
            self._documents[text] = found
        document, read = found
        values = [variables.get(name) for name in sorted(read)]
        if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
            # Not a page size at all: priced, not kept (the key space stays the page range).
            return operation_cost(self.schema, document, operation_name, variables)
        key = (text, operation_name, *values)
        cost = self._costs.get(key)
        if cost is None:
            cost = operation_cost(self.schema, document, operation_name, variables)
            self._costs[key] = cost
        return cost
