"""Chat batch loads for the per-request DataLoaders (schema/loaders.py): one query per batch of
keys, results in key order."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Q
from tortoise.functions import Count

from models import Conversation, ConversationParticipant, Message


async def participants_of(conversation_ids: Sequence[int]) -> list[list[ConversationParticipant]]:
    grouped: dict[int, list[ConversationParticipant]] = {cid: [] for cid in conversation_ids}
    rows = await ConversationParticipant.filter(
        conversation_id__in=list(set(conversation_ids))
    ).order_by("id")
    for row in rows:
        grouped[row.conversation_id].append(row)
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
