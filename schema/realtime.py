"""The realtime domain's parts of Query, Mutation and Subscription, and its `node(id:)` types."""

from __future__ import annotations

from models import User
from resolvers import collab as collab_ops
from resolvers import notifications as notification_ops
from resolvers.chat.reads import visible_conversation, visible_message
from schema.chat.mutations import ChatMutation
from schema.chat.queries import ChatQuery
from schema.chat.subscription import ChatSubscription
from schema.chat.types import Conversation, Message
from schema.collab import CollabMutation, CollabQuery, CollabRequest
from schema.node import Node
from schema.notifications import (
    Notification,
    NotificationMutation,
    NotificationQuery,
    NotificationSubscription,
)
from schema.stats_events import StatsSubscription

REALTIME_QUERIES = (CollabQuery, ChatQuery, NotificationQuery)
REALTIME_MUTATIONS = (CollabMutation, ChatMutation, NotificationMutation)
SUBSCRIPTIONS = (ChatSubscription, NotificationSubscription, StatsSubscription)
REALTIME_NODE_TYPES = frozenset({"CollabRequest", "Conversation", "Message", "Notification"})


async def realtime_node(viewer: User | None, type_name: str, pk: int) -> Node | None:
    """Each visible only to the people it concerns; anyone else gets null, as for no object."""
    if viewer is None:
        return None
    if type_name == "Conversation":
        conversation = await visible_conversation(viewer, pk)
        return Conversation.from_model(conversation) if conversation else None
    if type_name == "Message":
        message = await visible_message(viewer, pk)
        return Message.from_model(message) if message else None
    if type_name == "CollabRequest":
        request = await collab_ops.visible_request(viewer, pk)
        return CollabRequest.from_model(request) if request else None
    if type_name == "Notification":
        note = await notification_ops.visible_notification(viewer, pk)
        return Notification.from_model(note) if note else None
    return None
