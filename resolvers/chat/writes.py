"""Chat writes: send, edit and delete messages, move read receipts, say you are typing.

Every write happens in one transaction under the conversation's row lock, so message ids, the
conversation's last message and its activity time follow commit order; the events go out on
``Conversation:<id>`` after the commit. Only participants see a conversation: to anyone else
its ID, and the IDs of its messages, answer exactly like IDs that do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from models import (
    Conversation,
    ConversationParticipant,
    Message,
    Notification,
    NotificationType,
    User,
)
from resolvers.cache_tags import announce_changed, viewer_tags
from resolvers.chat.events import (
    ChatEventKind,
    MessageEvent,
    MessageSnapshot,
    ReadEvent,
    TypingEvent,
    publish_chat_event,
)
from resolvers.chat.reads import visible_conversation
from resolvers.email_verification import MESSAGES, require_verified
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.limits import enforce_limit
from resolvers.notifications import create_notification, mark_subject_read, publish_notifications
from resolvers.people import Face, all_reachable, direct_key, face_of, may_reach
from resolvers.services import Services
from resolvers.text import clean_text
from resolvers.transactions import write_transaction

BODY_MAX = 4000


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
    sender is in. The recipient gets a MESSAGE_RECEIVED notification. Every attempt counts
    against the sender's message limits, refused ones too: they probe for people as well."""
    await enforce_limit(services.message_limiter, f"user:{sender.id}", "messages")
    require_verified(services, sender, MESSAGES)
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
        if await may_reach(sender.id, recipient_id) is None:
            raise _not_found("recipient", "user")
        sent, notes = await _send_direct(sender, recipient_id, text)
    else:
        assert conversation_id is not None
        sent, notes = await _send_to_conversation(sender, conversation_id, text)
    await publish_chat_event(
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
            async with write_transaction():
                conversation = await find_or_create_direct(sender.id, recipient_id)
                return await _append(conversation, sender, text, [recipient_id])
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _send_to_conversation(
    sender: User, conversation_id: int, text: str
) -> tuple[SentMessage, list[Notification]]:
    async with write_transaction():
        conversation = await Conversation.select_for_update().get_or_none(id=conversation_id)
        members: list[int] = (
            [
                uid
                for (uid,) in await ConversationParticipant.filter(
                    conversation_id=conversation_id
                ).values_list("user_id")
            ]
            if conversation is not None
            else []
        )
        if conversation is None or sender.id not in members:
            raise _not_found("conversation", "conversation")
        others = [uid for uid in members if uid != sender.id]
        if not await all_reachable(others):
            raise OperationError.single(
                ("conversation",),
                "This person can no longer receive messages.",
                ErrorCode.INVALID_STATE,
            )
        return await _append(conversation, sender, text, others)


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
        conversation_id=message.conversation_id,
        user_id=user.id,
    ):
        raise _not_found("message", "message")
    if message.sender_id != user.id:
        raise OperationError.single(
            ("message",), f"You can only {verb} your own messages.", ErrorCode.NOT_ALLOWED
        )
    return message


async def edit_message(services: Services, user: User, message_id: int, body: str) -> Message:
    text, errors = clean_text(body, ("body",), BODY_MAX, required=True)
    if errors:
        raise OperationError(errors)
    assert text is not None
    async with write_transaction():
        message = await _own_message_for_update(user, message_id, "edit")
        if message.deleted_at is not None:
            raise OperationError.single(
                ("message",), "This message was deleted.", ErrorCode.INVALID_STATE
            )
        if text == message.body:
            return message  # nothing changed: no edit mark, no event
        message.body = text
        message.edited_at = datetime.now(UTC)
        await message.save(update_fields=["body", "edited_at"])
    await publish_chat_event(
        services,
        message.conversation_id,
        MessageEvent(ChatEventKind.MESSAGE_EDITED, MessageSnapshot.from_model(message)),
    )
    return message


async def delete_message(services: Services, user: User, message_id: int) -> Message:
    """Leaves a tombstone: the row stays, its body goes. Deleting again changes nothing."""
    async with write_transaction():
        message = await _own_message_for_update(user, message_id, "delete")
        if message.deleted_at is not None:
            return message
        message.body = ""
        message.deleted_at = datetime.now(UTC)
        await message.save(update_fields=["body", "deleted_at"])
    await publish_chat_event(
        services,
        message.conversation_id,
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
    async with write_transaction():
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
    if target is not None and target == conversation.last_message_id:
        await announce_changed(services, viewer_tags(user.id))  # notifications marked read
    if moved:
        assert membership.last_read_at is not None and target is not None
        await publish_chat_event(
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
    await publish_chat_event(services, conversation_id, TypingEvent(user.id, is_typing))
    return conversation
