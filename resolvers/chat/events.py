"""The chat event wire format: what goes out on a conversation's topic after a write commits,
encoded so that a subscriber renders it without reading the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import orjson

from models import Message
from resolvers.people import Face
from resolvers.services import Services


def conversation_topic(conversation_id: int) -> str:
    return f"Conversation:{conversation_id}"


@dataclass(frozen=True, slots=True)
class MessageSnapshot:
    """A message as readers see it; a deleted one has no body. ``sender`` is the sender's
    name and avatar when they are already known (a new message's event carries them, so
    subscribers render it without reading the database)."""

    id: int
    conversation_id: int
    sender_id: int
    body: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    sender: Face | None = None

    @classmethod
    def from_model(cls, m: Message, sender: Face | None = None) -> MessageSnapshot:
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            sender_id=m.sender_id,
            body=None if m.deleted_at else m.body,
            created_at=m.created_at,
            edited_at=m.edited_at,
            deleted_at=m.deleted_at,
            sender=sender,
        )


class ChatEventKind(StrEnum):
    MESSAGE_SENT = "MESSAGE_SENT"
    MESSAGE_EDITED = "MESSAGE_EDITED"
    MESSAGE_DELETED = "MESSAGE_DELETED"
    TYPING = "TYPING"
    READ = "READ"


@dataclass(frozen=True, slots=True)
class MessageEvent:
    kind: ChatEventKind
    message: MessageSnapshot


@dataclass(frozen=True, slots=True)
class TypingEvent:
    user_id: int
    is_typing: bool


@dataclass(frozen=True, slots=True)
class ReadEvent:
    user_id: int
    read_at: datetime
    message_id: int


ChatEvent = MessageEvent | TypingEvent | ReadEvent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def encode_chat_event(event: ChatEvent) -> bytes:
    """Self-contained, so a subscriber renders it without reading the database."""
    if isinstance(event, MessageEvent):
        m = event.message
        return orjson.dumps(
            {
                "type": event.kind.value,
                "message": {
                    "id": m.id,
                    "conversation": m.conversation_id,
                    "sender": m.sender_id,
                    "body": m.body,
                    "createdAt": _iso(m.created_at),
                    "editedAt": _iso(m.edited_at),
                    "deletedAt": _iso(m.deleted_at),
                    "senderFace": [m.sender.display_name, m.sender.avatar_url]
                    if m.sender
                    else None,
                },
            }
        )
    if isinstance(event, TypingEvent):
        return orjson.dumps(
            {"type": ChatEventKind.TYPING.value, "user": event.user_id, "isTyping": event.is_typing}
        )
    return orjson.dumps(
        {
            "type": ChatEventKind.READ.value,
            "user": event.user_id,
            "readAt": _iso(event.read_at),
            "message": event.message_id,
        }
    )


def decode_chat_event(raw: bytes) -> ChatEvent:
    data = orjson.loads(raw)
    kind = ChatEventKind(data["type"])
    if kind is ChatEventKind.TYPING:
        return TypingEvent(user_id=data["user"], is_typing=bool(data["isTyping"]))
    if kind is ChatEventKind.READ:
        read_at = _time(data["readAt"])
        assert read_at is not None
        return ReadEvent(user_id=data["user"], read_at=read_at, message_id=data["message"])
    m = data["message"]
    created_at = _time(m["createdAt"])
    assert created_at is not None
    face = m.get("senderFace")
    return MessageEvent(
        kind,
        MessageSnapshot(
            id=m["id"],
            conversation_id=m["conversation"],
            sender_id=m["sender"],
            body=m["body"],
            created_at=created_at,
            edited_at=_time(m["editedAt"]),
            deleted_at=_time(m["deletedAt"]),
            sender=Face(face[0], face[1]) if face else None,
        ),
    )


async def publish_chat_event(services: Services, conversation_id: int, event: ChatEvent) -> None:
    """Call after the write's transaction commits: a subscriber must never see a change that
    was rolled back."""
    await services.broker.publish(conversation_topic(conversation_id), encode_chat_event(event))
