"""The stats event: what subscribers and caches learn once a profile's stats have changed.

The stats tail (``resolvers/stats_change.py``) publishes exactly one per change, after commit, on
the profile's topic; ``profileStatsEvents`` decodes it. Besides the new aggregates (all that
subscription renders) it carries ``tags``, so a response cache can drop exactly the responses
that hold something the change touched:

- entity tags, ``<Type>:<id>``: the profile and every social account written or removed;
- collection tags, for lists whose membership or order the change can affect even when the
  cached list did not contain the profile: ``Discovery`` (any discovery page — every change saves
  the profile's ``updated_at``, a discovery sort key, and may move its totals across a filter
  bound) and ``SocialAccounts:<profile id>`` (the owner's account list, when an account is
  added or removed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

STATS_UPDATED = "STATS_UPDATED"
DISCOVERY = "Discovery"


def entity_tag(type_name: str, pk: int) -> str:
    return f"{type_name}:{pk}"


def profile_topic(profile_id: int) -> str:
    """A profile's events go out on its own entity tag."""
    return entity_tag("Profile", profile_id)


def account_list_tag(profile_id: int) -> str:
    return f"SocialAccounts:{profile_id}"


@dataclass(frozen=True, slots=True)
class StatsEvent:
    """A profile's aggregates as committed, and the tags of everything the change touched."""

    profile_id: int
    total_followers: int
    avg_engagement: float
    rizz_score: int
    tags: tuple[str, ...]


def stats_tags(
    profile_id: int, written: Iterable[int], added: Iterable[int], removed: Iterable[int]
) -> tuple[str, ...]:
    """The tags of one change: account ids ``written`` (created or updated), ``added`` (of those,
    the new ones) and ``removed``, sorted so equal changes give equal events."""
    moved = {*added, *removed}
    accounts = sorted({*written, *moved})
    membership = [account_list_tag(profile_id)] if moved else []
    return (
        profile_topic(profile_id),
        *(entity_tag("SocialAccount", pk) for pk in accounts),
        *membership,
        DISCOVERY,
    )


def encode_stats_event(event: StatsEvent) -> bytes:
    return orjson.dumps(
        {
            "type": STATS_UPDATED,
            "profile": event.profile_id,
            "totalFollowers": event.total_followers,
            "avgEngagement": event.avg_engagement,
            "rizzScore": event.rizz_score,
            "tags": list(event.tags),
        }
    )


def decode_stats_event(raw: bytes) -> StatsEvent:
    """Raises ``ValueError`` for anything that is not a stats event (the subscription hub logs
    and skips an event it cannot decode)."""
    data = orjson.loads(raw)
    if data.get("type") != STATS_UPDATED:
        raise ValueError(f"not a stats event: {data.get('type')!r}")
    return StatsEvent(
        profile_id=data["profile"],
        total_followers=data["totalFollowers"],
        avg_engagement=data["avgEngagement"],
        rizz_score=data["rizzScore"],
        tags=tuple(data["tags"]),
    )
