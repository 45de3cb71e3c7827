"""Each GraphQL operation observed: its record (schema/operation_record.py) opened when it starts,
its outcome sorted and counted in the app's metrics when it ends. Executions the subscription
hub makes for each event are not operations of a client and are not counted.

Outcomes, worst first: ``server_error`` (a bug, masked for the client), ``refused`` (a limit:
cost, budget, size, repeated mutations), ``client_error`` (the request itself was wrong:
unauthenticated, forbidden, unparsable, invalid), ``user_error`` (a mutation answered with
``userErrors``), ``ok``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from schema.document_limits import DOCUMENT_TOO_LARGE, TOO_MANY_SELECTIONS
from schema.error_codes import error_code, is_bug
from schema.limit_rules import TOO_MANY_PASSWORD_MUTATIONS, TOO_MANY_REPEATED_MUTATIONS
from schema.operation_record import OperationRecord
from schema.query_limits import QUERY_TOO_COMPLEX, RATE_LIMITED
from schema.subscriptions import TopicBinding

# What Strawberry raises for a request it cannot run (no query, an operation name the document
# lacks, a mutation over GET): the view answers them with a 400 or 405, the client's mistake.
REQUEST_ERRORS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)

REFUSAL_CODES = frozenset(
    {
        QUERY_TOO_COMPLEX,
        RATE_LIMITED,
        DOCUMENT_TOO_LARGE,
        TOO_MANY_SELECTIONS,
        TOO_MANY_PASSWORD_MUTATIONS,
        TOO_MANY_REPEATED_MUTATIONS,
    }
)


def outcome_of(errors: list[GraphQLError], data: object) -> str:
    codes = [error_code(error) for error in errors]
    if any(is_bug(error) for error in errors):
        return "server_error"
    if any(code in REFUSAL_CODES for code in codes):
        return "refused"
    if errors:
        return "client_error"
    if isinstance(data, Mapping) and any(
        isinstance(payload, Mapping) and payload.get("userErrors") for payload in data.values()
    ):
        return "user_error"
    return "ok"


class ObserveOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        record = OperationRecord()
        if hasattr(context, "operation"):
            context.operation = record
        request = getattr(context, "request", None)
        if isinstance(request, Request):
            request.state.graphql_operation = record
        started = time.perf_counter()
        raised: Exception | None = None
        try:
            yield
        except Exception as exc:  # an extension refused (or failed) before a result existed
            raised = exc
            raise
        finally:
            record.seconds = time.perf_counter() - started
            self._finish(record, context, raised)

    def _finish(self, record: OperationRecord, context: Any, raised: Exception | None) -> None:
        execution = self.execution_context
        record.name = execution.operation_name
        try:
            record.type = execution.operation_type.value
        except RuntimeError:  # no document, or no operation of that name in it
            record.type = "unknown"
        if record.type == OperationType.SUBSCRIPTION.value and not isinstance(
            execution.root_value, TopicBinding | None
        ):
            return  # the hub executing the document for an event
        result = execution.result
        if isinstance(raised, REQUEST_ERRORS):
            record.outcome = "client_error"
        else:
            errors = list(execution.pre_execution_errors or [])
            if raised is not None:
                errors.append(raised if isinstance(raised, GraphQLError) else _as_error(raised))
            elif not errors and result is not None and result.errors:
                errors = list(result.errors)
            record.outcome = outcome_of(errors, result.data if result is not None else None)
        record.user_id = getattr(context, "known_user_id", None)
        services = getattr(context, "services", None)
        if services is not None:
            services.metrics.observe_operation(
                record.name, record.type, record.outcome, record.seconds, record.cost
            )


def _as_error(exc: Exception) -> GraphQLError:
    return GraphQLError(str(exc), original_error=exc)
