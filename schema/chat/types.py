"""Chat types: messages, conversations, their participants, and their pages."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Conversation as ConversationModel
from models import ConversationParticipant as ParticipantModel
from models import Message as MessageModel
from resolvers.chat.events import MessageSnapshot
from resolvers.chat.reads import list_messages
from resolvers.cursors import PAGE_MAX
from schema.context import Info
from schema.errors import refused_as_bad_input
from schema.node import Node, encode_id
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
        return cls(last_read_at=m.last_read_at, user_id=m.user_id)


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
