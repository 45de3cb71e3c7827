"""Engagement rate: one documented formula per platform, and nowhere else.

- Instagram: the mean over the last 12 posts of (likes + comments) / followers × 100
  (LIKES_COMMENTS_PER_FOLLOWER).
- YouTube: (likes + comments) / views × 100 summed over the last 30 videos
  (LIKES_COMMENTS_PER_VIEW).
- TikTok: hearts / videos / followers × 100, from profile totals since the provider gives no
  per-video data (HEARTS_PER_VIDEO_PER_FOLLOWER).
- Twitch: not available — Twitch has no likes, and a view count is never engagement.
- X: not available — per-post reads cost the monthly cap, and ``public_metrics.like_count``
  counts posts the user liked, not likes received.

Every rate is clamped to 0–100 and rounded half-up to 2 decimals (``round_rate``). Posts whose
counts the platform hides (Instagram reports hidden likes as -1, YouTube omits ``likeCount``) are
left out of the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from adapters.platforms.types import Engagement, EngagementMethod

INSTAGRAM_SAMPLE = 12
YOUTUBE_SAMPLE = 30
_CENT = Decimal("0.01")
ENGAGEMENT_MAX = 100.0  # rates are percentages: the most one can be, computed or entered


@dataclass(frozen=True, slots=True)
class PostCounts:
    """One post's or video's public counts; None when the platform hides one."""

    likes: int | None
    comments: int | None
    views: int | None = None


def round_rate(value: float | Decimal) -> float:
    """The one rounding of an engagement rate, a provider's or a profile's average: half-up to 2
    decimals of the number as written (2.675 → 2.68). ``round()`` works on the binary float and
    rounds half to even, so it would give 2.67 here and 2.68 in the profile's average."""
    return float(Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP))


def clamp_rate(value: float) -> float:
    return round_rate(min(ENGAGEMENT_MAX, max(0.0, value)))


def instagram_engagement(followers: int | None, posts: Sequence[PostCounts]) -> Engagement:
    interactions = [
        p.likes + p.comments
        for p in posts[:INSTAGRAM_SAMPLE]
        if p.likes is not None and p.likes >= 0 and p.comments is not None and p.comments >= 0
    ]
    if not followers or not interactions:
        return Engagement.not_available()
    mean = sum(interactions) / len(interactions)
    return Engagement(
        clamp_rate(mean / followers * 100),
        EngagementMethod.LIKES_COMMENTS_PER_FOLLOWER,
        len(interactions),
    )


def youtube_engagement(videos: Sequence[PostCounts]) -> Engagement:
    usable = [
        (v.views, v.likes + (v.comments or 0))
        for v in videos[:YOUTUBE_SAMPLE]
        if v.likes is not None and v.views is not None and v.views > 0
    ]
    views = sum(viewed for viewed, _ in usable)
    if not usable or views <= 0:
        return Engagement.not_available()
    reactions = sum(reacted for _, reacted in usable)
    return Engagement(
        clamp_rate(reactions / views * 100), EngagementMethod.LIKES_COMMENTS_PER_VIEW, len(usable)
    )


def tiktok_engagement(followers: int | None, hearts: int | None, videos: int | None) -> Engagement:
    if not followers or not videos or hearts is None:
        return Engagement.not_available()
    return Engagement(
        clamp_rate(hearts / videos / followers * 100),
        EngagementMethod.HEARTS_PER_VIDEO_PER_FOLLOWER,
        videos,
    )


def twitch_engagement() -> Engagement:
    return Engagement.not_available()


def x_engagement() -> Engagement:
    return Engagement.not_available()
