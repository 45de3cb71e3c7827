"""Schema extensions: error masking, and subscriptions refused outside the websocket."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from schema.error_codes import is_bug
from schema.errors import PublicError

should_mask = is_bug
"""Mask bugs, not answers (schema/error_codes.py decides which is which)."""


class MaskErrorsWithRequestId(MaskErrors):
    """Masks unexpected errors as "Unexpected error." with the request id, under which the
    schema logged the stack trace (schema/error_codes.py), so an operator can find the trace a
    client reports."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        request_id = getattr(self.execution_context.context, "request_id", None)
        if request_id:
            masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked

    def _process_result(self, result: object) -> None:
        # Strawberry's own test is ``isinstance`` against a runtime-checkable Protocol, which
        # walks the protocol's attributes on every operation (about 50 Python calls, 2% of a
        # profile read's); this asks the one thing that test asks: a non-empty ``errors``.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]  # it has them


class SubscriptionsOverWebSocket(SchemaExtension):
    """Subscriptions are served over the websocket only.

    Strawberry's HTTP view lets a subscription through to plain execution (for a multipart
    transport creatorgraph does not offer), where it would fail as an internal error. This
    answers it as the client's mistake instead, saying where to subscribe."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        request = getattr(context, "request", None)
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION and not isinstance(
            request, WebSocket
        ):
            raise PublicError(
                "Subscribe over the websocket at /graphql (graphql-transport-ws).", "BAD_REQUEST"
            )
        yield


ExtensionFactory = Callable[[], object]
