"""YouTube Data API v3 (``channels.list`` by handle, then the last uploads' statistics).

Counts arrive as strings; ``subscriberCount`` is rounded by YouTube, and
``hiddenSubscriberCount: true`` means the creator hides it (reported as HIDDEN, never as 0).
Not found is a 200 with ``totalResults: 0`` and possibly no ``items``. The quota is daily
(10,000 units by default, 1 unit per list call; a lookup costs 3) and resets at midnight Pacific
time; ``quotaExceeded`` is therefore terminal until then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from adapters.platforms.engagement import YOUTUBE_SAMPLE, PostCounts, youtube_engagement
from adapters.platforms.errors import (
    AccountNotFound,
    ProviderUnauthorized,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.provider import HttpProvider, as_count, as_text, as_time, dig
from adapters.platforms.resilience import Guard
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
    RecentPost,
)

_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_AUTH_REASONS = {
    "keyInvalid",
    "keyExpired",
    "forbidden",
    "accessNotConfigured",
    "ipRefererBlocked",
    "unregisteredCaller",
}


def next_pacific_midnight(now: datetime) -> datetime:
    """When YouTube's daily quota resets."""
    try:
        zone: Any = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # no tz database: Pacific standard time is close enough
        from datetime import timezone

        zone = timezone(timedelta(hours=-8))
    local = now.astimezone(zone)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight


class YouTubeDataApiProvider(HttpProvider):
    name = ProviderName.YOUTUBE
    platform = Platform.YOUTUBE

    def __init__(
        self, http: httpx.AsyncClient, guard: Guard, *, api_key: str, base_url: str
    ) -> None:
        super().__init__(http, guard)
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")

    async def fetch(self, handle: str) -> PlatformProfile:
        body = await self.guard.run(
            lambda: self._get(
                "channels", {"part": "snippet,statistics,contentDetails", "forHandle": f"@{handle}"}
            )
        )
        items = body.get("items") or []
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise AccountNotFound(
                f"No YouTube channel has the handle @{handle}.", provider=self.name
            )
        item = items[0]
        channel_id = as_text(item.get("id"))
        if channel_id is None:
            raise self.malformed("a channel without an id")
        statistics = item.get("statistics") or {}
        hidden = statistics.get("hiddenSubscriberCount") is True
        followers = None if hidden else as_count(statistics.get("subscriberCount"))
        videos = as_count(statistics.get("videoCount"))
        uploads = as_text(dig(item, "contentDetails", "relatedPlaylists", "uploads"))
        engagement = Engagement.not_available()
        recent: tuple[RecentPost, ...] = ()
        if uploads and videos:
            engagement, recent = await self._uploads(uploads)
        thumbnails = dig(item, "snippet", "thumbnails") or {}
        avatar = next(
            (
                as_text(dig(thumbnails, size, "url"))
                for size in ("high", "medium", "default")
                if dig(thumbnails, size, "url")
            ),
            None,
        )
        custom_url = as_text(dig(item, "snippet", "customUrl"))
        return PlatformProfile(
            platform=self.platform,
            handle=(custom_url or handle).removeprefix("@").lower(),
            platform_user_id=channel_id,
            display_name=as_text(dig(item, "snippet", "title")),
            avatar_url=avatar,
            bio=as_text(dig(item, "snippet", "description")),
            verified=None,  # the Data API does not say
            followers=followers,
            following=None,
            content_count=videos,
            total_likes=None,
            total_views=as_count(statistics.get("viewCount")),
            engagement=engagement,
            precision=CountPrecision.HIDDEN if hidden else CountPrecision.ROUNDED,
            provider=self.name,
            fetched_at=self.now(),
            posts=recent,
        )

    async def _uploads(self, uploads_playlist: str) -> tuple[Engagement, tuple[RecentPost, ...]]:
        """The engagement over the last uploads, and those uploads with their counts (newest
        first, as the uploads playlist lists them)."""
        try:
            listing = await self.guard.run(
                lambda: self._get(
                    "playlistItems",
                    {
                        "part": "contentDetails",
                        "playlistId": uploads_playlist,
                        "maxResults": str(YOUTUBE_SAMPLE),
                    },
                )
            )
        except AccountNotFound:  # an empty or hidden uploads playlist
            return Engagement.not_available(), ()
        published = {
            video_id: as_time(dig(entry, "contentDetails", "videoPublishedAt"))
            for entry in listing.get("items") or []
            if (video_id := as_text(dig(entry, "contentDetails", "videoId")))
        }
        if not published:
            return Engagement.not_available(), ()
        videos = await self.guard.run(
            lambda: self._get("videos", {"part": "statistics", "id": ",".join(published)})
        )
        counted = {
            video_id: PostCounts(
                likes=as_count(dig(v, "statistics", "likeCount")),
                comments=as_count(dig(v, "statistics", "commentCount")),
                views=as_count(dig(v, "statistics", "viewCount")),
            )
            for v in videos.get("items") or []
            if (video_id := as_text(dig(v, "id")))
        }
        recent = tuple(
            RecentPost(
                post_id=video_id,
                url=f"https://www.youtube.com/watch?v={video_id}",
                kind="VIDEO",
                published_at=published[video_id],
                likes=counts.likes,
                comments=counts.comments,
                views=counts.views,
            )
            for video_id in published
            if (counts := counted.get(video_id)) is not None
        )
        return youtube_engagement(list(counted.values())), recent

    async def _get(self, resource: str, params: dict[str, str]) -> dict[str, Any]:
        response = await self.send(
            "GET",
            f"{self.base_url}/{resource}",
            params=params,
            headers={"X-Goog-Api-Key": self.api_key},
        )
        body = self.json_body(response)
        if response.status_code != 200:
            raise self._error(response, body)
        if not isinstance(body, dict):
            raise self.malformed("not an object")
        return body

    def _error(self, response: httpx.Response, body: object) -> Exception:
        reason = as_text(dig(body, "error", "errors", 0, "reason")) or ""
        message = as_text(dig(body, "error", "message")) or ""
        status = response.status_code
        if reason in _QUOTA_REASONS:
            return QuotaExhausted(
                "YouTube's daily API quota is used up.",
                provider=self.name,
                retry_at=next_pacific_midnight(self.now()),
            )
        if reason in _RATE_REASONS:
            return RateLimited("YouTube is limiting our requests.", provider=self.name)
        if reason in _AUTH_REASONS or "API key" in message or status == 401:
            return ProviderUnauthorized(
                f"YouTube refused our API key ({reason or status}).", provider=self.name
            )
        if status == 404:
            return AccountNotFound("That YouTube channel was not found.", provider=self.name)
        return ProviderUnavailable(
            f"YouTube refused the request ({status} {reason}).", provider=self.name
        )
