"""The websocket transport: graphql-transport-ws, the subscription hub, per-socket outboxes.

Owned by app.py (which builds the hub and hands it to the view); it sits above schema/ and
below app: it runs the schema's subscription fields, and nothing in schema/ knows it exists.

How one stats event reaches a subscriber's socket — three files:

1. ``resolvers/sync.py`` — after a sync commits, ``publish_stats_updated`` publishes the event
   on the broker under the profile's topic.
2. ``schema/stats_events.py`` — ``profileStatsEvents`` authorizes the viewer for that topic and
   hands topic and decoder to ``live_events`` (schema/subscriptions.py), which, on a websocket,
   only records them in the ``TopicBinding`` the transport passed as the root value.
3. ``live/hub.py`` — the subscriber joins the group for (topic, viewer, document); the group
   listens to the topic once, decodes each message, executes the document once with the event
   as root value, and hands the encoded frame to every member's outbox.

The rest is plumbing: ``transport.py`` (the protocol handler: connection_init authentication,
subscribe → hub), ``websocket.py`` (frames in and out, limits), ``outbox.py`` (a bounded queue
per socket that drops a client who stops reading).
"""

from live.hub import SubscriptionHub
from live.transport import LiveTransportHandler
from live.websocket import LiveLimits, LiveWebSocketAdapter

__all__ = ["LiveLimits", "LiveTransportHandler", "LiveWebSocketAdapter", "SubscriptionHub"]
