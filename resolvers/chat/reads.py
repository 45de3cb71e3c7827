"""Chat reads: which conversations and messages a user can see, and their pages."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q

from models import Conversation, ConversationParticipant, Message, User
from resolvers.cursors import (
    Page,
    decode_cursor,
    encode_cursor,
    newest_first,
    page_size,
    positive_id,
)
from resolvers.errors import ErrorCode, OperationError

_MESSAGES = "Message"
_CONVERSATIONS = "Conversation"


async def visible_conversation(user: User, conversation_id: int) -> Conversation | None:
    membership = await ConversationParticipant.get_or_none(
        conversation_id=conversation_id, user_id=user.id
    ).select_related("conversation")
    return membership.conversation if membership else None


async def visible_message(user: User, message_id: int) -> Message | None:
    message = await Message.get_or_none(id=message_id)
    if message is None or not await ConversationParticipant.exists(
        conversation_id=message.conversation_id,
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
        at = _moment(micros)
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


def _moment(micros: object) -> datetime:
    """The activity time a cursor holds, refused unless a datetime can hold it (a forged cursor
    can carry any integer)."""
    if isinstance(micros, int) and not isinstance(micros, bool):
        try:
            return datetime.fromtimestamp(micros / 1_000_000, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)


def _micros(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


async def list_messages(
    conversation_id: int, first: int | None, after: str | None
) -> Page[Message]:
    """A conversation's messages, newest first. The caller has checked the reader is in it."""
    return await newest_first(
        Message.filter(conversation_id=conversation_id), _MESSAGES, first, after
    )
