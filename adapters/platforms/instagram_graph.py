"""Instagram through the Graph API's ``business_discovery`` (business and creator accounts).

Meta answers a personal account and a nonexistent one the same way — 400 with code 110, subcode
2207013 — so that not-found is *not definitive*: the next Instagram provider is still asked.
Code 190 is a bad token; 4, 17, 32 and 613 are rate limits, with the wait estimated by
``X-Business-Use-Case-Usage``. No verified flag. The token goes in the Authorization header
rather than the documented ``access_token`` query parameter, so it never lands in URL logs.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.platforms.engagement import PostCounts, instagram_engagement
from adapters.platforms.errors import (
    AccountNotFound,
    ProviderUnauthorized,
    ProviderUnavailable,
    RateLimited,
)
from adapters.platforms.provider import HttpProvider, as_count, as_text, as_time, dig
from adapters.platforms.ratelimits import MetaUsage, meta_usage
from adapters.platforms.resilience import Guard
from adapters.platforms.types import (
    CountPrecision,
    Platform,
    PlatformProfile,
    ProviderName,
    RecentPost,
)

FIELDS = (
    "business_discovery.username({name}){{id,username,name,biography,profile_picture_url,"
    "website,followers_count,follows_count,media_count,"
    "media.limit(12){{id,like_count,comments_count,timestamp,media_type,permalink}}}}"
)
RATE_LIMIT_CODES = {4, 17, 32, 613}
NOT_FOUND_CODE, NOT_FOUND_SUBCODE = 110, 2207013


class InstagramGraphProvider(HttpProvider):
    name = ProviderName.INSTAGRAM_GRAPH
    platform = Platform.INSTAGRAM

    def __init__(
        self,
        http: httpx.AsyncClient,
        guard: Guard,
        *,
        token: str,
        user_id: str,
        base_url: str,
    ) -> None:
        super().__init__(http, guard)
        self.token = token
        self.user_id = user_id
        self.base_url = base_url.rstrip("/")
        self.usage: MetaUsage | None = None

    async def fetch(self, handle: str) -> PlatformProfile:
        body = await self.guard.run(lambda: self._discover(handle))
        found = body.get("business_discovery")
        if not isinstance(found, dict):
            raise self.malformed("no business_discovery")
        followers = as_count(found.get("followers_count"))
        user_id = as_text(found.get("id"))
        if followers is None or user_id is None:
            raise self.malformed("an account without an id or followers")
        media = dig(found, "media", "data")
        items = [m for m in (media if isinstance(media, list) else []) if isinstance(m, dict)]
        posts = [
            PostCounts(
                likes=as_count(m.get("like_count")), comments=as_count(m.get("comments_count"))
            )
            for m in items
        ]
        recent = tuple(
            RecentPost(
                post_id=post_id,
                url=as_text(m.get("permalink")),
                kind=as_text(m.get("media_type")),
                published_at=as_time(m.get("timestamp")),
                likes=as_count(m.get("like_count")),
                comments=as_count(m.get("comments_count")),
                views=None,  # business_discovery gives no views
            )
            for m in items
            if (post_id := as_text(m.get("id")))
        )
        return PlatformProfile(
            platform=self.platform,
            handle=(as_text(found.get("username")) or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(found.get("name")),
            avatar_url=as_text(found.get("profile_picture_url")),
            bio=as_text(found.get("biography")),
            verified=None,
            followers=followers,
            following=as_count(found.get("follows_count")),
            content_count=as_count(found.get("media_count")),
            total_likes=None,
            total_views=None,
            engagement=instagram_engagement(followers, posts),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=self.now(),
            posts=recent,
        )

    async def _discover(self, handle: str) -> dict[str, Any]:
        response = await self.send(
            "GET",
            f"{self.base_url}/{self.user_id}",
            params={"fields": FIELDS.format(name=handle)},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        now = self.now()
        self.usage = meta_usage(response.headers, now)
        body = self.json_body(response)
        if response.status_code == 200 and isinstance(body, dict):
            return body
        code = dig(body, "error", "code")
        subcode = dig(body, "error", "error_subcode")
        if code == NOT_FOUND_CODE or subcode == NOT_FOUND_SUBCODE:
            raise AccountNotFound(
                f"@{handle} is not an Instagram business or creator account, or does not exist.",
                provider=self.name,
                definitive=False,
            )
        if code in RATE_LIMIT_CODES:
            raise RateLimited(
                "Meta is limiting our requests.",
                provider=self.name,
                retry_at=self.usage.regain_at,
                retryable=self.usage.regain_at is not None,
            )
        if code == 190 or code == 10 or (isinstance(code, int) and 200 <= code < 300):
            raise ProviderUnauthorized(
                f"Meta refused our access token (code {code}).", provider=self.name
            )
        if response.status_code in (401, 403):
            raise ProviderUnauthorized(
                f"Meta refused the request ({response.status_code}).", provider=self.name
            )
        raise ProviderUnavailable(
            f"Meta answered {response.status_code} (code {code}).", provider=self.name
        )
