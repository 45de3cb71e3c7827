"""The profile's aggregates, each defined here and nowhere else.

- ``totalFollowers``: the sum of every platform's followers.
- ``avgEngagement``: the mean engagement of the platforms whose engagement is above 0, rounded
  half-up to 2 decimals; 0 when none has any.
- ``rizzScore`` (0–100), the sum of four parts:
  audience  40 × min(1, log10(1 + totalFollowers) / 8)     (100M followers earn all 40)
  engagement 30 × min(1, avgEngagement / 10)                (10% earns all 30)
  completeness 20 × share of: display name, bio, avatar, niches, location, a synced platform
  recency   10 while the last sync is at most 7 days old, falling linearly to 0 at 90 days
  rounded half-up to an integer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from adapters.platforms.engagement import round_rate
from models import Profile, SocialAccount

AUDIENCE_POINTS, ENGAGEMENT_POINTS, COMPLETENESS_POINTS, RECENCY_POINTS = 40, 30, 20, 10
AUDIENCE_FULL_LOG10 = 8.0  # 100,000,000 followers
ENGAGEMENT_FULL = 10.0
RECENCY_FULL_DAYS, RECENCY_ZERO_DAYS = 7.0, 90.0
RIZZ_SCORE_MAX = AUDIENCE_POINTS + ENGAGEMENT_POINTS + COMPLETENESS_POINTS + RECENCY_POINTS


@dataclass(frozen=True, slots=True)
class Aggregates:
    total_followers: int
    avg_engagement: float
    rizz_score: int


def total_followers(followers: Iterable[int]) -> int:
    return sum(followers)


def average_engagement(engagements: Iterable[float | None]) -> float:
    positive = [Decimal(str(e)) for e in engagements if e is not None and e > 0]
    if not positive:
        return 0.0
    mean = sum(positive, Decimal(0)) / len(positive)
    return round_rate(mean)


def profile_completeness(profile: Profile, has_platform: bool) -> float:
    parts = [
        bool(profile.display_name),
        bool(profile.bio),
        bool(profile.avatar_url),
        bool(profile.niches),
        bool(profile.city or profile.country),
        has_platform,
    ]
    return sum(parts) / len(parts)


def rizz_score(
    total: int,
    avg_engagement: float,
    completeness: float,
    last_sync: datetime | None,
    now: datetime,
) -> int:
    audience = AUDIENCE_POINTS * min(1.0, math.log10(1 + max(total, 0)) / AUDIENCE_FULL_LOG10)
    engagement = ENGAGEMENT_POINTS * min(1.0, max(avg_engagement, 0.0) / ENGAGEMENT_FULL)
    complete = COMPLETENESS_POINTS * min(1.0, max(completeness, 0.0))
    recency = 0.0
    if last_sync is not None:
        days = max(0.0, (now - last_sync).total_seconds() / 86400)
        span = RECENCY_ZERO_DAYS - RECENCY_FULL_DAYS
        recency = RECENCY_POINTS * min(1.0, max(0.0, (RECENCY_ZERO_DAYS - days) / span))
    score = Decimal(str(audience + engagement + complete + recency))
    return max(0, min(RIZZ_SCORE_MAX, int(score.quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def compute_aggregates(
    profile: Profile, accounts: Sequence[SocialAccount], now: datetime
) -> Aggregates:
    total = total_followers(a.followers for a in accounts)
    avg = average_engagement(a.engagement for a in accounts)
    last_sync = max((a.synced_at for a in accounts), default=None)
    completeness = profile_completeness(profile, bool(accounts))
    return Aggregates(total, avg, rizz_score(total, avg, completeness, last_sync, now))


async def recompute_profile_aggregates(profile: Profile, now: datetime) -> Aggregates:
    """Recomputes from every account of the profile and saves the aggregates. Only the stats
    tail (``resolvers/stats_change.py``) calls it: inside the transaction that changed the
    accounts or the profile, under the profile's row lock, before the event goes out."""
    accounts = await SocialAccount.filter(profile_id=profile.id)
    aggregates = compute_aggregates(profile, accounts, now)
    profile.total_followers = aggregates.total_followers
    profile.avg_engagement = aggregates.avg_engagement
    profile.rizz_score = aggregates.rizz_score
    await profile.save(
        update_fields=["total_followers", "avg_engagement", "rizz_score", "updated_at"]
    )
    return aggregates
