"""The demo provider: made-up numbers for development, so a newcomer can connect, refresh and
watch the schedule without any provider's credentials. Never in production (settings refuse
``DEMO_PROVIDER=on`` there).

Everything is derived from a hash of the platform and handle, and from the clock: the same
handle gets the same plausible account on every machine, and its followers drift a little from
hour to hour (a steady growth rate of the handle, plus a small wobble), so a refresh an hour
later — or the scheduled refresh — shows a change. No network. Every answer says what it is:
the provider is ``demo`` (``DEMO`` in the API), the display name ends in "(demo)" and the bio
says the numbers are made up. Handles starting with ``missing`` are not found and those
starting with ``private`` are private, to try those paths too.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from adapters.platforms.engagement import (
    PostCounts,
    instagram_engagement,
    tiktok_engagement,
    twitch_engagement,
    x_engagement,
    youtube_engagement,
)
from adapters.platforms.errors import AccountNotFound, AccountPrivate
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
    RecentPost,
)

DEMO_BIO = "Made-up numbers from the demo provider (development only)."
# The drift's origin: growth is counted in hours since then, so every process agrees.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
POSTS = 6
_KINDS = {
    Platform.INSTAGRAM: "IMAGE",
    Platform.TIKTOK: "VIDEO",
    Platform.YOUTUBE: "VIDEO",
    Platform.TWITCH: "VIDEO",
    Platform.TWITTER: "POST",
}
_URLS = {
    Platform.INSTAGRAM: "https://demo.invalid/instagram/{handle}/p/{id}",
    Platform.TIKTOK: "https://demo.invalid/tiktok/@{handle}/video/{id}",
    Platform.YOUTUBE: "https://demo.invalid/youtube/watch/{id}",
    Platform.TWITCH: "https://demo.invalid/twitch/videos/{id}",
    Platform.TWITTER: "https://demo.invalid/x/{handle}/status/{id}",
}


class DemoProvider:
    """One platform's demo provider (the registry puts one last in each platform's chain)."""

    name = ProviderName.DEMO

    def __init__(self, platform: Platform, clock: Callable[[], datetime] | None = None) -> None:
        self.platform = platform
        self.clock = clock or (lambda: datetime.now(UTC))

    async def fetch(self, handle: str) -> PlatformProfile:
        if handle.startswith("missing"):
            raise AccountNotFound(f"The demo has no account @{handle}.", provider=self.name)
        if handle.startswith("private"):
            raise AccountPrivate(f"@{handle} is a private demo account.", provider=self.name)
        now = self.clock()
        seed = _Seed(f"{self.platform.value}:{handle}")
        hours = (now - EPOCH).total_seconds() / 3600
        # 1,000 to 5,000,000 followers, log-uniform; -2% to +8% a month; ±0.3% wobble by hour.
        base = 10 ** (3 + seed.unit(0) * math.log10(5000))
        monthly = -0.02 + seed.unit(1) * 0.10
        wobble = 1 + 0.003 * math.sin(hours / 5 + seed.unit(2) * 6.28)
        followers = max(0, round(base * (1 + monthly) ** (hours / 720) * wobble))
        posts = _posts(self.platform, handle, seed, followers, now)
        counts = [PostCounts(p.likes, p.comments, p.views) for p in posts]
        content = 20 + int(seed.unit(3) * 900)
        return PlatformProfile(
            platform=self.platform,
            handle=handle,
            platform_user_id=f"demo-{seed.hex[:12]}",
            display_name=f"{handle} (demo)",
            avatar_url=None,
            bio=DEMO_BIO,
            verified=seed.unit(4) > 0.8,
            followers=followers,
            following=int(50 + seed.unit(5) * 1500),
            content_count=content,
            total_likes=sum(p.likes or 0 for p in posts) * content // POSTS
            if self.platform is Platform.TIKTOK
            else None,
            total_views=sum(p.views or 0 for p in posts) * content // POSTS
            if self.platform in (Platform.YOUTUBE, Platform.TWITCH)
            else None,
            engagement=_engagement(self.platform, followers, counts, content, posts),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=now,
            posts=posts,
        )


class _Seed:
    """Deterministic numbers in [0, 1) from a text: the same on every machine and run."""

    def __init__(self, text: str) -> None:
        self.hex = hashlib.sha256(text.encode()).hexdigest()

    def unit(self, index: int) -> float:
        digest = hashlib.sha256(f"{self.hex}:{index}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


def _posts(
    platform: Platform, handle: str, seed: _Seed, followers: int, now: datetime
) -> tuple[RecentPost, ...]:
    """One post every two days or so, newest first, with counts in proportion to the audience."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    posts = []
    rate = 0.01 + seed.unit(6) * 0.07  # the share of followers who like a post
    for n in range(POSTS):
        published = day - timedelta(days=2 * n + 1, hours=int(seed.unit(10 + n) * 12))
        number = int(published.timestamp()) // 86400
        views = int(followers * (0.3 + seed.unit(20 + n) * 2))
        likes = int(followers * rate * (0.5 + seed.unit(30 + n)))
        post_id = f"{seed.hex[:8]}{number}"
        posts.append(
            RecentPost(
                post_id=post_id,
                url=_URLS[platform].format(handle=handle, id=post_id),
                kind=_KINDS[platform],
                published_at=published,
                likes=None if platform is Platform.TWITCH else likes,
                comments=None if platform is Platform.TWITCH else likes // 25,
                views=views if platform is not Platform.INSTAGRAM else None,
            )
        )
    return tuple(posts)


def _engagement(
    platform: Platform,
    followers: int,
    counts: list[PostCounts],
    content: int,
    posts: tuple[RecentPost, ...],
) -> Engagement:
    """The platform's own documented formula (engagement.py), applied to the made-up posts."""
    if platform is Platform.INSTAGRAM:
        return instagram_engagement(followers, counts)
    if platform is Platform.YOUTUBE:
        return youtube_engagement(counts)
    if platform is Platform.TIKTOK:
        hearts = sum(p.likes or 0 for p in posts) * content // POSTS
        return tiktok_engagement(followers, hearts, content)
    if platform is Platform.TWITCH:
        return twitch_engagement()
    return x_engagement()
