"""The one place every write announces, after commit, what it changed for cached readers.

``announce_changed(services, tags)`` first bumps the tags' generations (adapters/
tag_generations.py; in Redis when configured) — awaited, so by the time the write's HTTP answer
goes out no instance can serve an answer that holds one of these tags from before the change —
and then publishes the tags on one broker topic, ``ResponseCache``, so every instance drops the
entries at once and frees their bytes (web/response_cache.py). The bump is what makes reads
exact; the message only keeps memory tidy, so a lost message costs bytes, never a stale read.

Tags name what a cached answer contains or depends on:
- ``<Type>:<pk>``, the global ids in answers (``Profile:7``, ``User:3``, ``SocialAccount:9``);
- ``Discovery``: any list of profiles (discovery pages, searches, matches) — membership and
  order may change without the list holding the changed profile;
- ``User:<id>`` on every answer scoped to that viewer: whatever only the viewer sees (their
  email, role, verification, unread notifications, their own private profile, and whether
  their account may still sign in at all) is announced on it.

Call it once per committed write, outside the write's transaction, with every tag at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from models import Profile
from resolvers.services import Services
from resolvers.stats_events import DISCOVERY, entity_tag

TOPIC = "ResponseCache"


async def announce_changed(services: Services, tags: Iterable[str]) -> None:
    unique = sorted(set(tags))
    if not unique:
        return
    generation = await services.tag_generations.bump(unique)
    await services.broker.publish(TOPIC, orjson.dumps({"tags": unique, "generation": generation}))


def decode_announcement(message: bytes) -> tuple[list[str], int | None]:
    """The tags of one message on TOPIC and the generation the change gave them (None when
    it could not be recorded); ValueError for anything else. A listener drops only entries
    stored before that generation: a message arriving late must not drop a newer answer."""
    data = orjson.loads(message)
    tags = data.get("tags") if isinstance(data, dict) else None
    generation = data.get("generation") if isinstance(data, dict) else None
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValueError("not a list of tags")
    if generation is not None and not isinstance(generation, int):
        raise ValueError("not a generation")
    return tags, generation


async def announce_account_changed(
    services: Services, user_id: int, profile_id: int | None = None
) -> None:
    """After the commit that suspended, restored, deleted an account or changed its role:
    ``profile_id`` is read here unless given (a deletion reads it before the profile goes)."""
    if profile_id is None:
        profile_id = await profile_id_of(user_id)
    await announce_changed(services, account_tags(user_id, profile_id))


async def profile_id_of(user_id: int) -> int | None:
    profile = await Profile.get_or_none(user_id=user_id).only("id")
    return profile.id if profile is not None else None


def account_tags(user_id: int, profile_id: int | None) -> list[str]:
    """What a change to an account touches: the viewer's own answers, its profile (shown or
    hidden with the account's state), and discovery (which lists active accounts only)."""
    tags = [entity_tag("User", user_id), DISCOVERY]
    if profile_id is not None:
        tags.append(entity_tag("Profile", profile_id))
    return tags


def viewer_tags(user_id: int) -> list[str]:
    """What only the viewer sees changed (email, verification, notifications)."""
    return [entity_tag("User", user_id)]
