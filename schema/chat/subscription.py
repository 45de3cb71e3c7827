"""The live `chatEvents` subscription of a conversation."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers.chat.events import TypingEvent, decode_chat_event
from resolvers.errors import OperationError
from resolvers.subscriptions import conversation_events_topic
from schema.chat.events import ChatEvent, chat_event
from schema.context import Info
from schema.errors import PublicError
from schema.input_ids import pk_of
from schema.subscriptions import live_events


@strawberry.type
class ChatSubscription:
    @strawberry.subscription(
        description="What happens in a conversation you are in: messages sent, edited and "
        "deleted, typing, read receipts."
    )
    async def chat_events(
        self, info: Info, conversation: strawberry.ID
    ) -> AsyncGenerator[ChatEvent, None]:
        viewer = await info.context.require_viewer()
        try:
            topic = await conversation_events_topic(viewer, pk_of(conversation, "Conversation"))
        except OperationError as exc:
            raise PublicError(str(exc), "NOT_FOUND") from None

        async def decode(raw: bytes) -> ChatEvent | None:
            event = decode_chat_event(raw)
            if isinstance(event, TypingEvent) and event.user_id == viewer.id:
                return None
            return chat_event(event)

        async for event in live_events(info, topic, decode):
            yield event
