"""Schema extensions: error masking, and subscriptions refused outside the websocket."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from schema.error_codes import CLIENT_ERROR_CODES, error_code
from schema.errors import PublicError

log = logging.getLogger("creatorgraph.errors")


def should_mask(error: GraphQLError) -> bool:
    """Mask bugs, not answers: errors raised on purpose (GraphQLError subclasses, including
    UNAUTHENTICATED and BAD_USER_INPUT), query/variable errors (no original exception) and
    errors labelled as the client's (schema/error_codes.py: a scalar refusing a value) pass."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return error_code(error) not in CLIENT_ERROR_CODES


class MaskAndLogErrors(MaskErrors):
    """Masks unexpected errors as "Unexpected error." and logs each with the request id, so an
    operator can find the stack trace a client reports."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._mask)

    def _mask(self, error: GraphQLError) -> bool:
        if not should_mask(error):
            return False
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        log.error(
            "unexpected error (request %s) at %s",
            request_id,
            error.path,
            exc_info=error.original_error,
        )
        return True

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        request_id = getattr(self.execution_context.context, "request_id", None)
        if request_id:
            masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


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
