"""``accountExport``: everything stored about a user, as one JSON document they can keep.

Included: the account (without its password hash), the profile, each platform account with
its stats history, the collaboration requests sent and received, every conversation the user is
in with all its messages, the notifications, and the activity log entries about the account.
Never included: password hashes, refresh tokens or their hashes (they are credentials, not
data about the person), and nothing of other people beyond what the user was shown (names in
their conversations and requests).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise.expressions import Q
from tortoise.models import Model

from models import (
    ActivityAction,
    ActivityEntry,
    CollabRequest,
    ConversationParticipant,
    Message,
    Notification,
    Profile,
    SocialAccount,
    StatsSnapshot,
    User,
)
from resolvers.activity import record_activity
from resolvers.people import DELETED_USER_NAME

FORMAT_VERSION = 1


async def export_account(user: User, client_address: str) -> str:
    """The document, as JSON text (orjson: datetimes in RFC 3339, keys in a fixed order)."""
    document = {
        "format": {"name": "creatorgraph-account-export", "version": FORMAT_VERSION},
        "exportedAt": datetime.now(UTC),
        "account": {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "emailVerified": user.email_verified,
            "suspended": user.suspended,
            "createdAt": user.created_at,
            "lastSeenAt": user.last_seen_at,
        },
        "profile": await _profile(user.id),
        "collabRequests": await _requests(user.id),
        "conversations": await _conversations(user.id),
        "notifications": await _notifications(user.id),
        "activity": await _activity(user.id),
    }
    await record_activity(user, ActivityAction.ACCOUNT_EXPORTED, user, client_address)
    return orjson.dumps(document, option=orjson.OPT_UTC_Z).decode()


def _row(model: Model, *skip: str) -> dict[str, Any]:
    """A model's own columns (foreign keys by their id column), minus ``skip``."""
    return {
        name: getattr(model, name) for name in model._meta.fields_db_projection if name not in skip
    }


async def _profile(user_id: int) -> dict[str, Any] | None:
    profile = await Profile.get_or_none(user_id=user_id)
    if profile is None:
        return None
    accounts = []
    for account in await SocialAccount.filter(profile_id=profile.id).order_by("id"):
        snapshots = await StatsSnapshot.filter(account_id=account.id).order_by("id")
        accounts.append(
            {**_row(account, "profile_id"), "snapshots": [_row(s, "account_id") for s in snapshots]}
        )
    return {**_row(profile, "user_id", "niche_tags"), "socialAccounts": accounts}


async def _names(user_ids: set[int]) -> dict[int, str]:
    rows = await Profile.filter(user_id__in=list(user_ids)).values_list("user_id", "display_name")
    names = {uid: name for uid, name in rows}
    return {uid: names.get(uid, DELETED_USER_NAME) for uid in user_ids}


async def _requests(user_id: int) -> list[dict[str, Any]]:
    requests = await CollabRequest.filter(Q(sender_id=user_id) | Q(recipient_id=user_id)).order_by(
        "id"
    )
    names = await _names({r.sender_id for r in requests} | {r.recipient_id for r in requests})
    return [
        {
            **_row(r, "pending_key"),
            "senderName": names[r.sender_id],
            "recipientName": names[r.recipient_id],
        }
        for r in requests
    ]


async def _conversations(user_id: int) -> list[dict[str, Any]]:
    memberships = await ConversationParticipant.filter(user_id=user_id).order_by("conversation_id")
    conversation_ids = [m.conversation_id for m in memberships]
    everyone = await ConversationParticipant.filter(conversation_id__in=conversation_ids)
    messages = await Message.filter(conversation_id__in=conversation_ids).order_by("id")
    names = await _names({p.user_id for p in everyone})
    result = []
    for membership in memberships:
        cid = membership.conversation_id
        result.append(
            {
                "id": cid,
                "participants": [
                    {"userId": p.user_id, "name": names[p.user_id]}
                    for p in everyone
                    if p.conversation_id == cid
                ],
                "lastReadMessageId": membership.last_read_message_id,
                "messages": [
                    {**_row(m, "conversation_id"), "senderName": names.get(m.sender_id)}
                    for m in messages
                    if m.conversation_id == cid
                ],
            }
        )
    return result


async def _notifications(user_id: int) -> list[dict[str, Any]]:
    notes = await Notification.filter(recipient_id=user_id).order_by("id")
    return [_row(n, "recipient_id") for n in notes]


async def _activity(user_id: int) -> list[dict[str, Any]]:
    entries = await ActivityEntry.filter(Q(actor_id=user_id) | Q(target_id=user_id)).order_by("id")
    return [_row(e) for e in entries]
