"""Chat: conversations and messages, their mutations, and the live `chatEvents` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from models import Conversation as ConversationModel
from models import ConversationParticipant as ParticipantModel
from models import Message as MessageModel
from resolvers.chat.events import ChatEvent as ChatEventData
from resolvers.chat.events import (
    ChatEventKind,
    MessageSnapshot,
    ReadEvent,
    TypingEvent,
    decode_chat_event,
)
from resolvers.chat.reads import list_conversations, list_messages, visible_conversation
from resolvers.chat.writes import (
    BODY_MAX,
    delete_message,
    edit_message,
    mark_read,
    send_message,
    set_typing,
)
from resolvers.cursors import PAGE_MAX
from resolvers.errors import OperationError
from resolvers.subscriptions import conversation_events_topic
from schema.context import Info
from schema.errors import PublicError, refused_as_bad_input
from schema.input_ids import optional_pk_of, pk_of
from schema.live import live_events
from schema.node import Node, encode_id
from schema.payloads import Payload, refused_as
from schema.people import Person, person
from schema.relay import PageInfo, cursored, page_info


@strawberry.type(
    description="A chat message. Deleting one leaves a tombstone: `body` null, `deletedAt` set."
)
class Message(Node):
    body: str | None = strawberry.field(description="The text, as written; null once deleted.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    edited_at: datetime | None = strawberry.field(description="When last edited, if ever.")
    deleted_at: datetime | None = strawberry.field(description="When deleted, if it was.")
    snapshot: strawberry.Private[MessageSnapshot]

    @strawberry.field(description="Who sent it.")
    async def sender(self, info: Info) -> Person:
        known = self.snapshot.sender
        if known is not None:  # carried by the event: no database read per subscriber group
            return Person(
                id=encode_id("User", self.snapshot.sender_id),
                display_name=known.display_name,
                avatar_url=known.avatar_url,
                user_id=self.snapshot.sender_id,
            )
        return await person(info, self.snapshot.sender_id)

    @strawberry.field(description="The conversation it belongs to.")
    async def conversation(self, info: Info) -> Conversation | None:
        model = await info.context.loaders.conversations.load(self.snapshot.conversation_id)
        return Conversation.from_model(model) if model else None

    @classmethod
    def from_snapshot(cls, m: MessageSnapshot) -> Message:
        return cls(
            id=encode_id("Message", m.id),
            body=m.body,
            created_at=m.created_at,
            edited_at=m.edited_at,
            deleted_at=m.deleted_at,
            snapshot=m,
        )

    @classmethod
    def from_model(cls, m: MessageModel) -> Message:
        return cls.from_snapshot(MessageSnapshot.from_model(m))


@strawberry.type(description="A message in a page of messages.")
class MessageEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the messages before it.")
    node: Message = strawberry.field(description="The message.")


@strawberry.type(description="Messages, newest first.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="This page's messages.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.type(description="A member of a conversation and how far they have read.")
class ConversationParticipant:
    last_read_at: datetime | None = strawberry.field(
        description="When they last marked the conversation read."
    )
    user_id: strawberry.Private[int]

    @strawberry.field(description="Who they are.")
    async def user(self, info: Info) -> Person:
        return await person(info, self.user_id)

    @classmethod
    def from_model(cls, m: ParticipantModel) -> ConversationParticipant:
        return cls(last_read_at=m.last_read_at, user_id=m.user_id)  # type: ignore[attr-defined]


@strawberry.type(description="A one-to-one conversation. Only its participants can see it.")
class Conversation(Node):
    last_activity_at: datetime = strawberry.field(description="When the last message arrived.")
    model: strawberry.Private[ConversationModel]

    @strawberry.field(description="The people in it, you included.")
    async def participants(self, info: Info) -> list[ConversationParticipant]:
        rows = await info.context.loaders.participants.load(self.model.id)
        return [ConversationParticipant.from_model(r) for r in rows]

    @strawberry.field(description="The newest message (a tombstone if it was deleted).")
    async def last_message(self, info: Info) -> Message | None:
        if self.model.last_message_id is None:
            return None
        found = await info.context.loaders.messages.load(self.model.last_message_id)
        return Message.from_model(found) if found else None

    @strawberry.field(description="Messages from others you have not read (deleted ones excluded).")
    async def unread_count(self, info: Info) -> int:
        viewer = await info.context.require_viewer()
        return await info.context.loaders.unread_counts.load((viewer.id, self.model.id))

    @strawberry.field(description=f"Messages, newest first. `first` is at most {PAGE_MAX}.")
    @refused_as_bad_input
    async def messages(
        self, first: int | None = None, after: str | None = None
    ) -> MessageConnection:
        page = await list_messages(self.model.id, first, after)
        return MessageConnection(
            edges=[MessageEdge(cursor=c, node=Message.from_model(m)) for m, c in cursored(page)],
            page_info=page_info(page),
        )

    @classmethod
    def from_model(cls, m: ConversationModel) -> Conversation:
        return cls(id=encode_id("Conversation", m.id), last_activity_at=m.activity_at, model=m)


@strawberry.type(description="A conversation in a page of conversations.")
class ConversationEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: Conversation = strawberry.field(description="The conversation.")


@strawberry.type(description="Your conversations, most recent activity first.")
class ConversationConnection:
    edges: list[ConversationEdge] = strawberry.field(description="This page's conversations.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


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


@strawberry.input(description="Send to a person (`recipient`, a User ID) or to a conversation.")
class ChatMessageSendInput:
    recipient: strawberry.ID | None = strawberry.field(
        default=None, description="The User ID of the person to write to."
    )
    conversation: strawberry.ID | None = strawberry.field(
        default=None, description="A conversation you are in."
    )
    body: str = strawberry.field(
        description=f"1 to {BODY_MAX:,} characters; kept as written (HTML is text)."
    )


@strawberry.type(description="The result of chatMessageSend.")
class ChatMessageSendPayload(Payload):
    message: Message | None = strawberry.field(default=None, description="The message sent.")
    conversation: Conversation | None = strawberry.field(
        default=None, description="Where it was sent."
    )


@strawberry.input(description="A new text for a message you sent.")
class ChatMessageEditInput:
    message: strawberry.ID = strawberry.field(description="The message to edit.")
    body: str = strawberry.field(description=f"1 to {BODY_MAX:,} characters.")


@strawberry.type(description="The result of chatMessageEdit.")
class ChatMessageEditPayload(Payload):
    message: Message | None = strawberry.field(
        default=None, description="The message with its new text."
    )


@strawberry.input(description="A message you sent, to delete.")
class ChatMessageDeleteInput:
    message: strawberry.ID = strawberry.field(description="The message to delete.")


@strawberry.type(description="The result of chatMessageDelete.")
class ChatMessageDeletePayload(Payload):
    message: Message | None = strawberry.field(default=None, description="The tombstone.")


@strawberry.input(description="How far you have read a conversation.")
class ChatConversationMarkReadInput:
    conversation: strawberry.ID = strawberry.field(description="A conversation you are in.")
    message: strawberry.ID | None = strawberry.field(
        default=None, description="Read up to this message; default: the newest."
    )


@strawberry.type(description="The result of chatConversationMarkRead.")
class ChatConversationMarkReadPayload(Payload):
    conversation: Conversation | None = strawberry.field(
        default=None, description="The conversation."
    )
    read_at: datetime | None = strawberry.field(
        default=None, description="Your read receipt's time."
    )


@strawberry.input(description="Whether you are typing in a conversation.")
class ChatTypingSetInput:
    conversation: strawberry.ID = strawberry.field(description="A conversation you are in.")
    is_typing: bool = strawberry.field(description="True when you start, false when you stop.")


@strawberry.type(description="The result of chatTypingSet.")
class ChatTypingSetPayload(Payload):
    conversation: Conversation | None = strawberry.field(
        default=None, description="The conversation."
    )


@strawberry.type
class ChatQuery:
    @strawberry.field(
        description=f"Your conversations, most recent activity first. `first` is "
        f"at most {PAGE_MAX}."
    )
    @refused_as_bad_input
    async def conversations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ConversationConnection:
        viewer = await info.context.require_viewer()
        page = await list_conversations(viewer, first, after)
        return ConversationConnection(
            edges=[
                ConversationEdge(cursor=c, node=Conversation.from_model(m))
                for m, c in cursored(page)
            ],
            page_info=page_info(page),
        )

    @strawberry.field(description="A conversation you are in; null otherwise.")
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        viewer = await info.context.require_viewer()
        found = await visible_conversation(viewer, pk_of(id, "Conversation"))
        return Conversation.from_model(found) if found else None


@strawberry.type
class ChatMutation:
    @strawberry.mutation(
        description="Send a message to a person (finding or creating your conversation with "
        "them) or to a conversation you are in."
    )
    @refused_as(ChatMessageSendPayload)
    async def chat_message_send(
        self, info: Info, input: ChatMessageSendInput
    ) -> ChatMessageSendPayload:
        viewer = await info.context.require_viewer()
        sent = await send_message(
            info.context.services,
            viewer,
            input.body,
            recipient_id=optional_pk_of(input.recipient, "User"),
            conversation_id=optional_pk_of(input.conversation, "Conversation"),
        )
        return ChatMessageSendPayload(
            message=Message.from_snapshot(MessageSnapshot.from_model(sent.message, sent.sender)),
            conversation=Conversation.from_model(sent.conversation),
        )

    @strawberry.mutation(description="Change the text of a message you sent.")
    @refused_as(ChatMessageEditPayload)
    async def chat_message_edit(
        self, info: Info, input: ChatMessageEditInput
    ) -> ChatMessageEditPayload:
        viewer = await info.context.require_viewer()
        message = await edit_message(
            info.context.services, viewer, pk_of(input.message, "Message"), input.body
        )
        return ChatMessageEditPayload(message=Message.from_model(message))

    @strawberry.mutation(description="Delete a message you sent; a tombstone stays in its place.")
    @refused_as(ChatMessageDeletePayload)
    async def chat_message_delete(
        self, info: Info, input: ChatMessageDeleteInput
    ) -> ChatMessageDeletePayload:
        viewer = await info.context.require_viewer()
        message = await delete_message(
            info.context.services, viewer, pk_of(input.message, "Message")
        )
        return ChatMessageDeletePayload(message=Message.from_model(message))

    @strawberry.mutation(
        description="Move your read receipt forward (it never moves back); the others see it live."
    )
    @refused_as(ChatConversationMarkReadPayload)
    async def chat_conversation_mark_read(
        self, info: Info, input: ChatConversationMarkReadInput
    ) -> ChatConversationMarkReadPayload:
        viewer = await info.context.require_viewer()
        receipt = await mark_read(
            info.context.services,
            viewer,
            pk_of(input.conversation, "Conversation"),
            optional_pk_of(input.message, "Message"),
        )
        return ChatConversationMarkReadPayload(
            conversation=Conversation.from_model(receipt.conversation), read_at=receipt.read_at
        )

    @strawberry.mutation(description="Say you started or stopped typing; nothing is stored.")
    @refused_as(ChatTypingSetPayload)
    async def chat_typing_set(self, info: Info, input: ChatTypingSetInput) -> ChatTypingSetPayload:
        viewer = await info.context.require_viewer()
        conversation = await set_typing(
            info.context.services,
            viewer,
            pk_of(input.conversation, "Conversation"),
            input.is_typing,
        )
        return ChatTypingSetPayload(conversation=Conversation.from_model(conversation))


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
