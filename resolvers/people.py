"""Who can be reached: the people a user may send a request or a message to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q

from models import CollabRequest, Conversation, Profile, User

DELETED_USER_NAME = "Deleted user"


def direct_key(a: int, b: int) -> str:
    """The key of a pair of users, the same whichever way round: one conversation per pair,
    one pending request per pair."""
    return f"{min(a, b)}:{max(a, b)}"


async def reachable_user(user_id: int) -> User | None:
    """An existing, unsuspended user with an active profile, or None. Missing and suspended
    users answer alike, so a refusal does not tell whether someone was suspended."""
    user = await User.get_or_none(id=user_id)
    if user is None or user.suspended:
        return None
    profile = await Profile.get_or_none(user_id=user_id).only("id", "is_active")
    if profile is None or not profile.is_active:
        return None
    return user


async def may_reach(sender_id: int, recipient_id: int) -> User | None:
    """The recipient, when the sender may send them a chat message or a collaboration request:
    a reachable user (as ``reachable_user``) whose profile is public, or with whom the sender
    already shares a conversation or a request (in either direction, any status). Otherwise
    None, which callers refuse exactly like an unknown user, so a private profile cannot be
    found by guessing IDs."""
    user = await reachable_user(recipient_id)
    if user is None:
        return None
    if await Profile.exists(user_id=recipient_id, is_public=True):
        return user
    if await Conversation.exists(direct_key=direct_key(sender_id, recipient_id)):
        return user
    pair = Q(sender_id=sender_id, recipient_id=recipient_id) | Q(
        sender_id=recipient_id, recipient_id=sender_id
    )
    if await CollabRequest.exists(pair):
        return user
    return None


async def all_reachable(user_ids: Sequence[int]) -> bool:
    """Whether every one of these users is reachable (as ``reachable_user``), in one query."""
    wanted = set(user_ids)
    if not wanted:
        return True
    found = await User.filter(id__in=list(wanted), suspended=False, profile__is_active=True).count()
    return found == len(wanted)


@dataclass(frozen=True, slots=True)
class Face:
    """How a person shows up next to what they wrote: their name and avatar."""

    display_name: str
    avatar_url: str | None


async def face_of(user_id: int) -> Face:
    profile = await Profile.get_or_none(user_id=user_id).only("id", "display_name", "avatar_url")
    # Every account has a profile until it is deleted (resolvers/account_deletion.py).
    return (
        Face(profile.display_name, profile.avatar_url) if profile else Face(DELETED_USER_NAME, None)
    )


async def display_name_of(user_id: int) -> str:
    return (await face_of(user_id)).display_name


async def profiles_by_user(user_ids: Sequence[int]) -> list[Profile | None]:
    """Each user's profile, in the order of ``user_ids`` (one query), for DataLoaders."""
    found = {p.user_id: p for p in await Profile.filter(user_id__in=list(set(user_ids)))}
    return [found.get(uid) for uid in user_ids]
