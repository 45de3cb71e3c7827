"""How a subscription field says where its events come from.

A subscription resolver authorizes the viewer for a topic and then calls ``live_events``. On a
websocket the subscription hub (live/) starts the operation with a ``TopicBinding`` as its root
value: the resolver only fills it in (topic and decoder) and returns, and the hub delivers the
events, resolving them once for all subscribers who asked the same. Anywhere else (no binding)
``live_events`` listens to the broker itself and yields each decoded event, one generator per
subscriber.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from schema.context import Info

# Broker bytes → the root value of one event (a Strawberry object), or None to skip the event.
Decoder = Callable[[bytes], Awaitable[Any]]


@dataclass(slots=True)
class TopicBinding:
    """Filled in by the subscription's resolver: where the hub should listen, and how to turn
    each message into the event the document is resolved against."""

    topic: str | None = None
    decode: Decoder | None = None


async def live_events(info: Info, topic: str, decode: Decoder) -> AsyncIterator[Any]:
    binding: object = info.root_value
    if isinstance(binding, TopicBinding):
        binding.topic, binding.decode = topic, decode
        return
    async with info.context.services.broker.subscribe(topic) as messages:
        async for raw in messages:
            event = await decode(raw)
            if event is not None:
                yield event
