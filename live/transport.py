"""graphql-transport-ws as creatorgraph speaks it: Strawberry's handler with our rules on top.

- The connection authenticates once, in ``connection_init`` (``connectionParams.authorization =
  "Bearer <token>"``); a missing or bad token closes it with 4403, and so does the token's expiry,
  and so does the account's suspension or deletion (heard on the account's broker topic).
  The handler is the connection's state: the token's expiry and, per subscription, the
  ``TopicBinding`` its resolver fills in (handed to the operation as its root value) — none of
  it rides on the request ``Context``.
- Messages from the client are capped in size (1009 above the cap); frames go out as text
  (websocket.py).
- Subscriptions are served by the hub. Each connection has one bounded outbox (outbox.py): a
  client that stops reading fills only its own outbox, and when that overflows the connection
  is dropped, so it never holds up the other subscribers.
- A ``pong`` is sent only once every earlier ``subscribe`` on the connection is listening, so a
  client that pings after subscribing knows no later event can be missed.
Queries and mutations sent over the socket run exactly as Strawberry runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from live.hub import HubSubscriber, SubscriptionFailed
from live.outbox import ConnectionOutbox
from live.websocket import LiveWebSocketAdapter
from resolvers.account_events import wait_until_closed
from resolvers.errors import NotAuthenticatedError
from resolvers.subscriptions import authenticate_connection
from schema.loaders import Loaders
from schema.subscriptions import TopicBinding

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
        ConnectionInitMessage,
    )

    from schema.context import Context

log = logging.getLogger("creatorgraph.live")

START_WAIT_SECONDS = 10.0


@functools.lru_cache(maxsize=256)
def operation_type(query: str, name: str | None, max_tokens: int) -> OperationType | None:
    """Whether a document's operation is a subscription (cached: a thousand clients send the
    same few documents), or None when it does not parse or names no operation."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except (GraphQLError, TypeError):
        return None
    definition = get_operation_ast(document, name)
    return definition.operation if definition is not None else None


class LiveTransportHandler(BaseGraphQLTransportWSHandler["Context", None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert isinstance(self.websocket, LiveWebSocketAdapter), "the view's websocket adapter"
        self.socket = self.websocket
        self._starting: dict[str, asyncio.Future[None]] = {}
        self._outbox: ConnectionOutbox | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._account_watch: asyncio.Task[None] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._dropped = False

    async def handle(self) -> None:
        self._task = asyncio.current_task()
        self._outbox = ConnectionOutbox(
            self.socket.ws.send_text, self.socket.limits.send_queue_frames, self._drop
        )
        connections = self.socket.metrics.websocket_connections
        connections.inc()
        try:
            await super().handle()
        except asyncio.CancelledError:
            if not self._dropped or self._task is None:
                raise
            self._task.uncancel()  # our own drop: end the connection quietly
        finally:
            connections.dec()
            self._outbox.close()
            if self._expiry is not None:
                self._expiry.cancel()
            if self._account_watch is not None:
                self._account_watch.cancel()

    def _drop(self) -> None:
        """The client stopped reading and its outbox is full: end the connection without
        waiting on it (a close frame could not get through a full socket either)."""
        if self._dropped:
            return
        self._dropped = True
        log.warning("dropped a websocket that stopped reading its events")
        self.socket.metrics.subscriber_dropped("outbox")
        if self._task is not None:
            self._task.cancel()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """Authenticates the connection from its connectionParams before acknowledging it.
        A late, repeated or malformed connection_init is left to Strawberry's protocol rules."""
        payload = message.get("payload", {})
        if (
            self.connection_timed_out
            or self.connection_init_received
            or not isinstance(payload, dict)
        ):
            await super().handle_connection_init(message)
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        self.connection_init_received = True
        try:
            session = await authenticate_connection(
                self.context.services, payload.get("authorization")
            )
        except NotAuthenticatedError:
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        self.context.authenticated_as(session.user)
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self._expiry = asyncio.create_task(self._close_at(session.expires_at))
        self._account_watch = asyncio.create_task(self._close_when_account_closed(session.user.id))

    async def _close_at(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        with contextlib.suppress(Exception):
            await self.websocket.close(code=4403, reason="Token expired")

    async def _close_when_account_closed(self, user_id: int) -> None:
        """A suspension or deletion, on any instance, closes this socket at once."""
        try:
            why = await wait_until_closed(self.context.services, user_id)
        except Exception:  # the broker failed: the token's expiry still closes the socket
            log.exception("stopped watching account %s for suspension", user_id)
            return
        with contextlib.suppress(Exception):
            await self.websocket.close(code=4403, reason=why.value)

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload")
        if (
            not isinstance(message.get("id"), str)
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
            or not isinstance(payload.get("variables"), dict | None)
            or not isinstance(payload.get("operationName"), str | None)
        ):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        await super().handle_subscribe(message)
        operation = self.operations.get(message["id"])
        if operation is not None and operation.task is not None and not operation.task.done():
            self._starting.setdefault(operation.id, asyncio.get_running_loop().create_future())

    async def handle_ping(self, message: Any) -> None:
        pending = [f for f in self._starting.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=START_WAIT_SECONDS)
        await super().handle_ping(message)

    def _started(self, operation_id: str) -> None:
        future = self._starting.pop(operation_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        try:
            kind = self._operation_type(operation)
            if kind is None:  # unparsable: Strawberry closes the socket as the protocol says
                self._started(operation.id)
                await super().run_operation(operation)
            elif kind is OperationType.SUBSCRIPTION:
                await self._run_subscription(operation)
            else:
                self._started(operation.id)
                await self._run_single(operation)
        finally:
            self._started(operation.id)

    def _operation_context(self) -> Context:
        """Each operation gets its own DataLoaders: a socket lives for hours, and loaders
        shared across its operations would keep answering from what they first loaded."""
        return replace(self.context, loaders=Loaders())

    async def _run_single(self, operation: Operation[Context, None]) -> None:
        """A query or mutation sent over the socket: one result, then complete."""
        try:
            source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self._operation_context(),
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(source):
                async for result in source:
                    if isinstance(result, PreExecutionError):
                        await operation.send_initial_errors(result.errors or [])
                        return
                    if not isinstance(result, ExecutionResult):
                        await operation.send_initial_errors(
                            [GraphQLError("Incremental delivery is not supported here")]
                        )
                        return
                    await operation.send_next(result)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})

    def _operation_type(self, operation: Operation[Context, None]) -> OperationType | None:
        return operation_type(
            operation.query, operation.operation_name, self.socket.limits.max_tokens
        )

    async def _run_subscription(self, operation: Operation[Context, None]) -> None:
        binding = TopicBinding()  # the root value: the resolver says here where to listen
        context = self._operation_context()
        try:
            source = await self.schema.subscribe(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=binding,
                operation_name=operation.operation_name,
            )
            async with aclosing(source):
                async for result in source:
                    # Validation errors, or the resolver refused (not signed in, not yours):
                    # either way the subscription never started.
                    errors = result.errors or [GraphQLError("The subscription did not start.")]
                    if isinstance(result, PreExecutionError) or binding.topic is None:
                        await operation.send_initial_errors(errors)
                        return
            if binding.topic is None:
                await operation.send_initial_errors([GraphQLError("Nothing to subscribe to.")])
                return
            await self._serve_from_hub(operation, binding, context)
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _serve_from_hub(
        self, operation: Operation[Context, None], binding: TopicBinding, context: Context
    ) -> None:
        assert self._outbox is not None
        hub = self.socket.hub
        subscriber = HubSubscriber(operation.id, self._outbox)
        try:
            await hub.attach(
                subscriber,
                schema=self.schema,
                binding=binding,
                context=context,
                query=operation.query,
                variables=operation.variables,
                operation_name=operation.operation_name,
            )
        except SubscriptionFailed as exc:
            await operation.send_initial_errors([GraphQLError(str(exc))])
            return
        self._started(operation.id)
        try:
            errors = await subscriber.ended  # the client ends it by cancelling this task
        finally:
            hub.detach(subscriber)
        await operation.send_operation_message(
            {"id": operation.id, "type": "error", "payload": errors}
        )
