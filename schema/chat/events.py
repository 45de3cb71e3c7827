"""What a `chatEvents` subscriber receives: one ChatEvent union member per kind of event, and
the step from a decoded resolvers event to it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.chat.events import ChatEvent as ChatEventData
from resolvers.chat.events import ChatEventKind, ReadEvent, TypingEvent
from schema.chat.types import Message
from schema.context import Info
from schema.people import Person, person


@strawberry.type(description="A new message in the conversation.")
class ChatMessageSent:
    message: Message = strawberry.field(description="The message.")


@strawberry.type(description="A message was edited.")
class ChatMessageEdited:
    message: Message = strawberry.field(description="The message with its new text.")


@strawberry.type(description="A message was deleted.")
class ChatMessageDeleted:
    message: Message = strawberry.field(description="Its tombstone (no body).")


@strawberry.type(description="Someone started or stopped typing (your own typing is not echoed).")
class ChatTypingChanged:
    is_typing: bool = strawberry.field(description="True when they started, false when stopped.")
    user_id: strawberry.Private[int]

    @strawberry.field(description="Who is typing.")
    async def user(self, info: Info) -> Person:
        return await person(info, self.user_id)


@strawberry.type(description="Someone read the conversation up to a message.")
class ChatConversationRead:
    read_at: datetime = strawberry.field(description="When they read it.")
    user_id: strawberry.Private[int]
    message_id: strawberry.Private[int]

    @strawberry.field(description="Who read it.")
    async def user(self, info: Info) -> Person:
        return await person(info, self.user_id)


ChatEvent = Annotated[
    ChatMessageSent
    | ChatMessageEdited
    | ChatMessageDeleted
    | ChatTypingChanged
    | ChatConversationRead,
    strawberry.union("ChatEvent", description="Something that happened in a conversation."),
]


def chat_event(event: ChatEventData) -> ChatEvent:
    if isinstance(event, TypingEvent):
        return ChatTypingChanged(is_typing=event.is_typing, user_id=event.user_id)
    if isinstance(event, ReadEvent):
        return ChatConversationRead(
            read_at=event.read_at, user_id=event.user_id, message_id=event.message_id
        )
    message = Message.from_snapshot(event.message)
    if event.kind is ChatEventKind.MESSAGE_SENT:
        return ChatMessageSent(message=message)
    if event.kind is ChatEventKind.MESSAGE_EDITED:
        return ChatMessageEdited(message=message)
    return ChatMessageDeleted(message=message)
