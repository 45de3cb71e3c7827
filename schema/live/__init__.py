"""Serving subscriptions: graphql-transport-ws with connection-level auth and limits, and a hub
that resolves and encodes each event once for every subscriber who asked the same question."""

from schema.live.binding import TopicBinding, live_events
from schema.live.hub import SubscriptionHub
from schema.live.transport import (
    LiveLimits,
    LiveTransportHandler,
    LiveWebSocketAdapter,
    authenticate_websocket,
)

__all__ = [
    "LiveLimits",
    "LiveTransportHandler",
    "LiveWebSocketAdapter",
    "SubscriptionHub",
    "TopicBinding",
    "authenticate_websocket",
    "live_events",
]
