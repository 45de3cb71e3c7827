"""One-to-one chat: conversations, messages (send, edit, delete), read receipts and typing.

Every write happens in one transaction under the conversation's row lock, so message ids, the
conversation's last message and its activity time follow commit order; the events go out on
``Conversation:<id>`` after the commit. Only participants see a conversation: to anyone else
its ID, and the IDs of its messages, answer exactly like IDs that do not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from models import (
    Conversation,
    ConversationParticipant,
    Message,
    Notification,
    NotificationType,
    User,
)
from resolvers.cursors import (
    Page,
    decode_cursor,
    encode_cursor,
    newest_first,
    page_size,
    positive_id,
)
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.notifications import create_notification, mark_subject_read, publish_notifications
from resolvers.people import Face, all_reachable, face_of, reachable_user
from resolvers.services import Services
from resolvers.text import clean_text

BODY_MAX = 4000
_MESSAGES = "Message"
_CONVERSATIONS = "Conversation"


def conversation_topic(conversation_id: int) -> str:
    return f"Conversation:{conversation_id}"


def direct_key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


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
            conversation_id=m.conversation_id,  # type: ignore[attr-defined]
            sender_id=m.sender_id,  # type: ignore[attr-defined]
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


async def _publish(services: Services, conversation_id: int, event: ChatEvent) -> None:
    await services.broker.publish(conversation_topic(conversation_id), encode_chat_event(event))


def _not_found(field: str, what: str) -> OperationError:
    return OperationError.single((field,), f"No {what} with this ID.", ErrorCode.NOT_FOUND)


@dataclass(frozen=True, slots=True)
class SentMessage:
    message: Message
    conversation: Conversation
    sender: Face


async def send_message(
    services: Services,
    sender: User,
    body: str,
    *,
    recipient_id: int | None = None,
    conversation_id: int | None = None,
) -> SentMessage:
    """Sends to a person (finding or creating the two's conversation) or to a conversation the
    sender is in. The recipient gets a MESSAGE_RECEIVED notification."""
    text, errors = clean_text(body, ("body",), BODY_MAX, required=True)
    if recipient_id is None and conversation_id is None:
        errors.append(FieldError(None, "Choose a recipient or a conversation.", ErrorCode.REQUIRED))
    elif recipient_id is not None and conversation_id is not None:
        errors.append(
            FieldError(None, "Choose a recipient or a conversation, not both.", ErrorCode.INVALID)
        )
    if errors:
        raise OperationError(errors)
    assert text is not None
    if recipient_id is not None:
        if recipient_id == sender.id:
            raise OperationError.single(
                ("recipient",), "You cannot send a message to yourself.", ErrorCode.INVALID
            )
        if await reachable_user(recipient_id) is None:
            raise _not_found("recipient", "user")
        sent, notes = await _send_direct(sender, recipient_id, text)
    else:
        assert conversation_id is not None
        sent, notes = await _send_to_conversation(sender, conversation_id, text)
    await _publish(
        services,
        sent.conversation.id,
        MessageEvent(
            ChatEventKind.MESSAGE_SENT, MessageSnapshot.from_model(sent.message, sent.sender)
        ),
    )
    await publish_notifications(services, notes)
    return sent


async def _send_direct(
    sender: User, recipient_id: int, text: str
) -> tuple[SentMessage, list[Notification]]:
    # Two first messages between the same people can race to create their conversation; the
    # loser's transaction fails on direct_key and is retried, and then finds the winner's.
    for attempt in range(2):
        try:
            async with in_transaction():
                conversation = await find_or_create_direct(sender.id, recipient_id)
                return await _append(conversation, sender, text, [recipient_id])
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _send_to_conversation(
    sender: User, conversation_id: int, text: str
) -> tuple[SentMessage, list[Notification]]:
    async with in_transaction():
        conversation = await Conversation.select_for_update().get_or_none(id=conversation_id)
        members = (
            await ConversationParticipant.filter(conversation_id=conversation_id).values_list(
                "user_id", flat=True
            )
            if conversation is not None
            else []
        )
        if conversation is None or sender.id not in members:
            raise _not_found("conversation", "conversation")
        others = [uid for uid in members if uid != sender.id]
        if not await all_reachable(others):  # type: ignore[arg-type]
            raise OperationError.single(
                ("conversation",),
                "This person can no longer receive messages.",
                ErrorCode.INVALID_STATE,
            )
        return await _append(conversation, sender, text, others)  # type: ignore[arg-type]


async def find_or_create_direct(a: int, b: int) -> Conversation:
    """The one conversation of two people, locked for this transaction; created on first use.
    Call inside a transaction."""
    key = direct_key(a, b)
    conversation = await Conversation.select_for_update().get_or_none(direct_key=key)
    if conversation is not None:
        return conversation
    now = datetime.now(UTC)
    conversation = await Conversation.create(direct_key=key, activity_at=now)
    await ConversationParticipant.bulk_create(
        [
            ConversationParticipant(conversation=conversation, user_id=uid, activity_at=now)
            for uid in sorted({a, b})
        ]
    )
    return conversation


async def _locked_conversation(user: User, conversation_id: int) -> Conversation:
    """The conversation, row-locked, if the user is in it; else NOT_FOUND."""
    conversation = await Conversation.select_for_update().get_or_none(id=conversation_id)
    if conversation is None or not await ConversationParticipant.exists(
        conversation_id=conversation_id, user_id=user.id
    ):
        raise _not_found("conversation", "conversation")
    return conversation


async def _append(
    conversation: Conversation, sender: User, text: str, recipients: list[int]
) -> tuple[SentMessage, list[Notification]]:
    message = await Message.create(conversation=conversation, sender_id=sender.id, body=text)
    now = message.created_at
    conversation.last_message_id = message.id
    conversation.activity_at = now
    await conversation.save(update_fields=["last_message_id", "activity_at"])
    await ConversationParticipant.filter(conversation_id=conversation.id).update(activity_at=now)
    # Your own message is read by you.
    await ConversationParticipant.filter(conversation_id=conversation.id, user_id=sender.id).update(
        last_read_message_id=message.id, last_read_at=now
    )
    face = await face_of(sender.id)
    notes = [
        await create_notification(
            recipient_id,
            NotificationType.MESSAGE_RECEIVED,
            "New message",
            f"{face.display_name} sent you a message.",
            subject=("Conversation", conversation.id),
            payload={"conversation": conversation.id, "message": message.id},
        )
        for recipient_id in recipients
    ]
    return SentMessage(message, conversation, face), notes


async def _own_message_for_update(user: User, message_id: int, verb: str) -> Message:
    """A message the user sent, locked; NOT_FOUND when they cannot see it (not in its
    conversation), NOT_ALLOWED when someone else sent it."""
    message = await Message.select_for_update().get_or_none(id=message_id)
    if message is None or not await ConversationParticipant.exists(
        conversation_id=message.conversation_id,  # type: ignore[attr-defined]
        user_id=user.id,
    ):
        raise _not_found("message", "message")
    if message.sender_id != user.id:  # type: ignore[attr-defined]
        raise OperationError.single(
            ("message",), f"You can only {verb} your own messages.", ErrorCode.NOT_ALLOWED
        )
    return message


async def edit_message(services: Services, user: User, message_id: int, body: str) -> Message:
    text, errors = clean_text(body, ("body",), BODY_MAX, required=True)
    if errors:
        raise OperationError(errors)
    async with in_transaction():
        message = await _own_message_for_update(user, message_id, "edit")
        if message.deleted_at is not None:
            raise OperationError.single(
                ("message",), "This message was deleted.", ErrorCode.INVALID_STATE
            )
        if text == message.body:
            return message  # nothing changed: no edit mark, no event
        message.body = text  # type: ignore[assignment]
        message.edited_at = datetime.now(UTC)
        await message.save(update_fields=["body", "edited_at"])
    await _publish(
        services,
        message.conversation_id,  # type: ignore[attr-defined]
        MessageEvent(ChatEventKind.MESSAGE_EDITED, MessageSnapshot.from_model(message)),
    )
    return message


async def delete_message(services: Services, user: User, message_id: int) -> Message:
    """Leaves a tombstone: the row stays, its body goes. Deleting again changes nothing."""
    async with in_transaction():
        message = await _own_message_for_update(user, message_id, "delete")
        if message.deleted_at is not None:
            return message
        message.body = ""
        message.deleted_at = datetime.now(UTC)
        await message.save(update_fields=["body", "deleted_at"])
    await _publish(
        services,
        message.conversation_id,  # type: ignore[attr-defined]
        MessageEvent(ChatEventKind.MESSAGE_DELETED, MessageSnapshot.from_model(message)),
    )
    return message


@dataclass(frozen=True, slots=True)
class ReadReceipt:
    conversation: Conversation
    read_at: datetime | None


async def mark_read(
    services: Services, user: User, conversation_id: int, message_id: int | None = None
) -> ReadReceipt:
    """Moves the user's read position forward to ``message_id`` (default: the latest message);
    it never moves back. Reading up to the latest also marks that conversation's message
    notifications read."""
    async with in_transaction():
        conversation = await _locked_conversation(user, conversation_id)
        membership = await ConversationParticipant.get(
            conversation_id=conversation_id, user_id=user.id
        )
        target = conversation.last_message_id
        if message_id is not None:
            if not await Message.exists(id=message_id, conversation_id=conversation_id):
                raise _not_found("message", "message")
            target = message_id
        moved = target is not None and (
            membership.last_read_message_id is None or target > membership.last_read_message_id
        )
        if moved:
            membership.last_read_message_id = target
            membership.last_read_at = datetime.now(UTC)
            await membership.save(update_fields=["last_read_message_id", "last_read_at"])
        if target is not None and target == conversation.last_message_id:
            await mark_subject_read(user.id, "Conversation", conversation_id)
    if moved:
        assert membership.last_read_at is not None and target is not None
        await _publish(
            services, conversation_id, ReadEvent(user.id, membership.last_read_at, target)
        )
    return ReadReceipt(conversation, membership.last_read_at)


async def set_typing(
    services: Services, user: User, conversation_id: int, is_typing: bool
) -> Conversation:
    """Typing is not stored: it is only said, to whoever listens now."""
    conversation = await visible_conversation(user, conversation_id)
    if conversation is None:
        raise _not_found("conversation", "conversation")
    await _publish(services, conversation_id, TypingEvent(user.id, is_typing))
    return conversation


async def visible_conversation(user: User, conversation_id: int) -> Conversation | None:
    membership = await ConversationParticipant.get_or_none(
        conversation_id=conversation_id, user_id=user.id
    ).select_related("conversation")
    return membership.conversation if membership else None


async def visible_message(user: User, message_id: int) -> Message | None:
    message = await Message.get_or_none(id=message_id)
    if message is None or not await ConversationParticipant.exists(
        conversation_id=message.conversation_id,  # type: ignore[attr-defined]
        user_id=user.id,
    ):
        return None
    return message


async def list_conversations(
    user: User, first: int | None, after: str | None
) -> Page[Conversation]:
    """The user's conversations, most recent activity first."""
    size = page_size(first)
    position = decode_cursor(after, _CONVERSATIONS, 2)
    query = ConversationParticipant.filter(user_id=user.id)
    if position is not None:
        micros, row_id = position
        if not isinstance(micros, int):
            raise OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)
        at = datetime.fromtimestamp(micros / 1_000_000, UTC)
        row = positive_id(row_id)
        query = query.filter(Q(activity_at__lt=at) | Q(activity_at=at, id__lt=row))
    rows = (
        await query.order_by("-activity_at", "-id").limit(size + 1).select_related("conversation")
    )
    page = rows[:size]
    return Page(
        items=[r.conversation for r in page],
        cursors=[encode_cursor(_CONVERSATIONS, _micros(r.activity_at), r.id) for r in page],
        has_next_page=len(rows) > size,
        has_previous_page=position is not None,
    )


def _micros(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


async def list_messages(
    conversation_id: int, first: int | None, after: str | None
) -> Page[Message]:
    """A conversation's messages, newest first. The caller has checked the reader is in it."""
    return await newest_first(
        Message.filter(conversation_id=conversation_id), _MESSAGES, first, after
    )


async def participants_of(conversation_ids: Sequence[int]) -> list[list[ConversationParticipant]]:
    grouped: dict[int, list[ConversationParticipant]] = {cid: [] for cid in conversation_ids}
    rows = await ConversationParticipant.filter(
        conversation_id__in=list(set(conversation_ids))
    ).order_by("id")
    for row in rows:
        grouped[row.conversation_id].append(row)  # type: ignore[attr-defined]
    return [grouped[cid] for cid in conversation_ids]


async def messages_by_id(message_ids: Sequence[int]) -> list[Message | None]:
    found = {m.id: m for m in await Message.filter(id__in=list(set(message_ids)))}
    return [found.get(mid) for mid in message_ids]


async def conversations_by_id(conversation_ids: Sequence[int]) -> list[Conversation | None]:
    found = {c.id: c for c in await Conversation.filter(id__in=list(set(conversation_ids)))}
    return [found.get(cid) for cid in conversation_ids]


async def unread_counts(keys: Sequence[tuple[int, int]]) -> list[int]:
    """For each (user id, conversation id): messages from others after the user's read
    position, not deleted. Two queries per distinct user (a request has one)."""
    counts: dict[tuple[int, int], int] = {}
    for user_id in {u for u, _ in keys}:
        conversation_ids = [c for u, c in keys if u == user_id]
        for conversation_id, n in (await _unread_of(user_id, conversation_ids)).items():
            counts[(user_id, conversation_id)] = n
    return [counts.get(key, 0) for key in keys]


async def _unread_of(user_id: int, conversation_ids: Sequence[int]) -> dict[int, int]:
    positions = await ConversationParticipant.filter(
        user_id=user_id, conversation_id__in=list(set(conversation_ids))
    ).values_list("conversation_id", "last_read_message_id")
    after_read = [Q(conversation_id=c, id__gt=read or 0) for c, read in positions]
    if not after_read:
        return {}
    rows = (
        await Message.filter(Q(*after_read, join_type="OR"), deleted_at=None)
        .exclude(sender_id=user_id)
        .annotate(n=Count("id"))
        .group_by("conversation_id")
        .values("conversation_id", "n")
    )
    return {row["conversation_id"]: row["n"] for row in rows}
