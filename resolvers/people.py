"""Who can be reached: the people a user may send a request or a message to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models import Profile, User


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
    return Face(profile.display_name, profile.avatar_url) if profile else Face("Someone", None)


async def display_name_of(user_id: int) -> str:
    return (await face_of(user_id)).display_name


async def profiles_by_user(user_ids: Sequence[int]) -> list[Profile | None]:
    """Each user's profile, in the order of ``user_ids`` (one query), for DataLoaders."""
    found = {p.user_id: p for p in await Profile.filter(user_id__in=list(set(user_ids)))}
    return [found.get(uid) for uid in user_ids]
