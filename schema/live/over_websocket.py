"""Subscriptions are served over the websocket only.

Strawberry's HTTP view lets a subscription through to plain execution (for a multipart transport
creatorgraph does not offer), where it would fail as an internal error. This extension answers
it as the client's mistake instead, saying where to subscribe.
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.errors import PublicError


class SubscriptionsOverWebSocket(SchemaExtension):
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
