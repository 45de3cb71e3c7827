"""Chat mutations: `chatMessageSend`, `chatMessageEdit`, `chatMessageDelete`,
`chatConversationMarkRead`, `chatTypingSet`, with their inputs and payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.chat.events import MessageSnapshot
from resolvers.chat.writes import (
    BODY_MAX,
    delete_message,
    edit_message,
    mark_read,
    send_message,
    set_typing,
)
from schema.chat.types import Conversation, Message
from schema.context import Info
from schema.input_ids import optional_pk_of, pk_of
from schema.payloads import Payload, refused_as


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
