"""The normalized result every provider returns, whatever its wire format.

These are plain values, serializable to JSON for the shared cache (``to_json`` / ``from_json``), so
one instance's answer can be served by every other instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    """The platforms we fetch; values match ``models.Platform``, so resolvers convert by value."""

    TIKTOK = "TIKTOK"
    INSTAGRAM = "INSTAGRAM"
    YOUTUBE = "YOUTUBE"
    TWITCH = "TWITCH"
    TWITTER = "TWITTER"


class ProviderName(StrEnum):
    """Operator-facing provider names (``TIKTOK_PROVIDERS=rapidapi`` …)."""

    YOUTUBE = "youtube"
    HELIX = "helix"
    X = "x"
    RAPIDAPI = "rapidapi"
    APIFY = "apify"
    INSTAGRAM_GRAPH = "instagram_graph"
    OAUTH = "oauth"  # the platform's own API, with the creator's authorization
    DEMO = "demo"  # made-up numbers for development (adapters/platforms/demo.py)


class CountPrecision(StrEnum):
    """How far the follower count can be trusted: exact, rounded by the platform (YouTube,
    TikTok's ``stats``), or hidden by the creator (YouTube's ``hiddenSubscriberCount``)."""

    EXACT = "EXACT"
    ROUNDED = "ROUNDED"
    HIDDEN = "HIDDEN"


class EngagementMethod(StrEnum):
    """Which documented formula produced an engagement rate (see ``engagement.py``)."""

    LIKES_COMMENTS_PER_FOLLOWER = "LIKES_COMMENTS_PER_FOLLOWER"
    LIKES_COMMENTS_PER_VIEW = "LIKES_COMMENTS_PER_VIEW"
    HEARTS_PER_VIDEO_PER_FOLLOWER = "HEARTS_PER_VIDEO_PER_FOLLOWER"
    NOT_AVAILABLE = "NOT_AVAILABLE"


@dataclass(frozen=True, slots=True)
class Engagement:
    """An engagement rate in percent (0–100), or None when the platform's data cannot give one;
    always with the method and how many posts or videos it was computed over."""

    rate: float | None
    method: EngagementMethod
    sample_size: int | None = None

    @classmethod
    def not_available(cls) -> Engagement:
        return cls(None, EngagementMethod.NOT_AVAILABLE, None)


@dataclass(frozen=True, slots=True)
class RecentPost:
    """One of the account's latest posts or videos, as the provider returned it; a count is None
    where the platform hides it or the provider does not give it."""

    post_id: str
    url: str | None
    kind: str | None  # the provider's own word: VIDEO, IMAGE, CAROUSEL, …
    published_at: datetime | None
    likes: int | None
    comments: int | None
    views: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.post_id,
            "url": self.url,
            "kind": self.kind,
            "publishedAt": self.published_at.isoformat() if self.published_at else None,
            "likes": self.likes,
            "comments": self.comments,
            "views": self.views,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecentPost:
        published = data.get("publishedAt")
        return cls(
            post_id=data["id"],
            url=data.get("url"),
            kind=data.get("kind"),
            published_at=datetime.fromisoformat(published) if published else None,
            likes=data.get("likes"),
            comments=data.get("comments"),
            views=data.get("views"),
        )


@dataclass(frozen=True, slots=True)
class PlatformProfile:
    """One account's public numbers, normalized. Counts are Python ints (wide); None means the
    provider does not report that number (or, for followers, that it is hidden)."""

    platform: Platform
    handle: str
    platform_user_id: str
    display_name: str | None
    avatar_url: str | None
    bio: str | None
    verified: bool | None
    followers: int | None
    following: int | None
    content_count: int | None
    total_likes: int | None
    total_views: int | None
    engagement: Engagement
    precision: CountPrecision
    provider: ProviderName
    fetched_at: datetime
    # The latest posts or videos, newest first, where the provider fetched them anyway (to
    # compute engagement); empty where it does not.
    posts: tuple[RecentPost, ...] = ()

    @property
    def exact(self) -> bool:
        return self.precision is CountPrecision.EXACT

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform.value,
            "handle": self.handle,
            "platformUserId": self.platform_user_id,
            "displayName": self.display_name,
            "avatarUrl": self.avatar_url,
            "bio": self.bio,
            "verified": self.verified,
            "followers": self.followers,
            "following": self.following,
            "contentCount": self.content_count,
            "totalLikes": self.total_likes,
            "totalViews": self.total_views,
            "engagement": self.engagement.rate,
            "engagementMethod": self.engagement.method.value,
            "engagementSample": self.engagement.sample_size,
            "precision": self.precision.value,
            "provider": self.provider.value,
            "fetchedAt": self.fetched_at.isoformat(),
            "posts": [p.to_json() for p in self.posts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlatformProfile:
        return cls(
            platform=Platform(data["platform"]),
            handle=data["handle"],
            platform_user_id=data["platformUserId"],
            display_name=data["displayName"],
            avatar_url=data["avatarUrl"],
            bio=data["bio"],
            verified=data["verified"],
            followers=data["followers"],
            following=data["following"],
            content_count=data["contentCount"],
            total_likes=data["totalLikes"],
            total_views=data["totalViews"],
            engagement=Engagement(
                data["engagement"],
                EngagementMethod(data["engagementMethod"]),
                data["engagementSample"],
            ),
            precision=CountPrecision(data["precision"]),
            provider=ProviderName(data["provider"]),
            fetched_at=datetime.fromisoformat(data["fetchedAt"]),
            # Answers cached before posts were kept have none.
            posts=tuple(RecentPost.from_json(p) for p in data.get("posts") or ()),
        )
