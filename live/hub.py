"""The subscription hub: each event is resolved and encoded once per group, not per subscriber.

Subscribers that asked the same question — same topic, same viewer, same document, variables
and operation name — form a group. A group listens to its topic on the broker once, executes
the document once per event (with the event as the root value and a fresh context for the
group's viewer, so every field resolves exactly as it would for each of them), encodes the
result once, and hands the encoded payload to every member. Fan-out to a thousand sockets then
costs a thousand small string joins and queue puts, not a thousand GraphQL executions.

Grouping by viewer keeps viewer-specific fields (unread counts, your own profile) correct
without having to know which fields are; a one-to-one conversation has at most two viewers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from graphql import GraphQLFormattedError
from strawberry.types.graphql import OperationType

from adapters.broker import Broker, SubscriberDropped
from adapters.metrics import Metrics
from schema.loaders import Loaders
from schema.subscriptions import Decoder, TopicBinding

if TYPE_CHECKING:
    from strawberry.schema import BaseSchema

    from schema.context import Context

log = logging.getLogger("creatorgraph.live")

YIELD_EVERY = 500
GroupKey = tuple[str, int | None, str, bytes, str | None]
ErrorPayload = list[GraphQLFormattedError]


class FrameSink(Protocol):
    """Where a subscriber's frames go: its websocket connection's bounded outbox."""

    def send_frame(self, frame: str) -> None: ...


class SubscriptionFailed(Exception):
    """The group could not start listening (e.g. the broker is unreachable)."""


@dataclass(eq=False, slots=True)
class HubSubscriber:
    """One subscription of one websocket. ``ended`` resolves, with the errors to send, when
    the server ends the subscription (its group failed); the client ends it by cancelling."""

    operation_id: str
    sink: FrameSink
    prefix: str = ""
    ended: asyncio.Future[ErrorPayload] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    group: TopicGroup | None = None

    def __post_init__(self) -> None:
        operation_id = orjson.dumps(self.operation_id).decode()
        self.prefix = '{"id":' + operation_id + ',"type":"next","payload":'

    def deliver(self, payload: str) -> None:
        self.sink.send_frame(self.prefix + payload + "}")

    def end(self, errors: ErrorPayload) -> None:
        if not self.ended.done():
            self.ended.set_result(errors)


class TopicGroup:
    def __init__(
        self,
        hub: SubscriptionHub,
        key: GroupKey,
        schema: BaseSchema,
        decode: Decoder,
        context_template: Context,
        variables: dict[str, Any] | None,
    ) -> None:
        self.hub = hub
        self.key = key
        self.topic, _, self.query, _, self.operation_name = key
        self.schema = schema
        self.decode = decode
        self.variables = variables
        self._new_context: Callable[[], Context] = lambda: replace(
            context_template, loaders=Loaders()
        )
        self.subscribers: dict[HubSubscriber, None] = {}  # insertion-ordered set
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None

    def start(self, broker: Broker) -> None:
        self.task = asyncio.create_task(self._run(broker), name=f"live:{self.topic}")

    async def _run(self, broker: Broker) -> None:
        try:
            async with broker.subscribe(self.topic) as messages:
                if not self.ready.done():
                    self.ready.set_result(None)
                async for raw in messages:
                    await self._publish(raw)
        except asyncio.CancelledError:
            raise
        except SubscriberDropped:
            log.warning("subscribers of %s fell behind the broker; ending them", self.topic)
            self.hub.metrics.subscriber_dropped("broker", len(self.subscribers))
            self._fail("Events arrived faster than they could be sent; subscribe again.", "LAGGED")
        except Exception:
            log.exception("subscription group for %s failed", self.topic)
            self._fail("Unexpected error.", "INTERNAL_SERVER_ERROR")
        finally:
            self.hub._forget(self)

    def _fail(self, message: str, code: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(SubscriptionFailed(message))
            self.ready.exception()  # retrieved here so an unawaited failure is not logged
        errors: ErrorPayload = [{"message": message, "extensions": {"code": code}}]
        for subscriber in list(self.subscribers):
            subscriber.end(errors)

    async def _publish(self, raw: bytes) -> None:
        try:
            event = await self.decode(raw)
        except Exception:
            log.exception("could not decode an event on %s; skipped", self.topic)
            return
        if event is None or not self.subscribers:
            return
        result = await self.schema.execute(
            self.query,
            variable_values=self.variables,
            context_value=self._new_context(),
            root_value=event,
            operation_name=self.operation_name,
            allowed_operation_types=(OperationType.SUBSCRIPTION,),
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        encoded = orjson.dumps(payload).decode()
        for index, subscriber in enumerate(list(self.subscribers), 1):
            subscriber.deliver(encoded)
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let pings and requests in during a huge fan-out


class SubscriptionHub:
    """The groups of one server process, created on first use and gone with their last member."""

    def __init__(self, ready_timeout: float = 10.0, *, metrics: Metrics | None = None) -> None:
        self._groups: dict[GroupKey, TopicGroup] = {}
        self._ready_timeout = ready_timeout
        self.metrics = metrics or Metrics()  # the subscriptions gauge, drops by the broker

    async def attach(
        self,
        subscriber: HubSubscriber,
        *,
        schema: BaseSchema,
        binding: TopicBinding,
        context: Context,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        """Adds the subscriber to its group and returns once the group is listening, so an
        event published after this returns reaches the subscriber."""
        assert binding.topic is not None and binding.decode is not None
        viewer = await context.viewer()
        key: GroupKey = (
            binding.topic,
            viewer.id if viewer is not None else None,
            query,
            orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS),
            operation_name,
        )
        group = self._groups.get(key)
        if group is None:
            group = TopicGroup(self, key, schema, binding.decode, context, variables)
            self._groups[key] = group
            group.start(context.services.broker)
        group.subscribers[subscriber] = None
        subscriber.group = group
        self.metrics.subscriptions.inc()
        try:
            async with asyncio.timeout(self._ready_timeout):
                await asyncio.shield(group.ready)
        except TimeoutError as exc:
            self.detach(subscriber)
            raise SubscriptionFailed("The event stream did not start in time.") from exc
        except SubscriptionFailed:
            self.detach(subscriber)
            raise

    def detach(self, subscriber: HubSubscriber) -> None:
        group, subscriber.group = subscriber.group, None
        if group is None:
            return
        if subscriber in group.subscribers:
            del group.subscribers[subscriber]
            self.metrics.subscriptions.dec()
        if not group.subscribers:
            self._forget(group)
            if group.task is not None:
                group.task.cancel()

    def _forget(self, group: TopicGroup) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]

    def subscriber_count(self, topic: str) -> int:
        """How many subscriptions listen to ``topic`` in this process (for tests and metrics)."""
        return sum(len(g.subscribers) for g in self._groups.values() if g.topic == topic)

    async def close(self) -> None:
        groups = list(self._groups.values())
        self._groups.clear()
        for group in groups:
            if group.task is not None:
                group.task.cancel()
        for group in groups:
            if group.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await group.task
