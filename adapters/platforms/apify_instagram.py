"""Instagram through Apify's instagram-profile-scraper, run synchronously
(``POST /acts/apify~instagram-profile-scraper/run-sync-get-dataset-items``).

The answer is a JSON array of dataset items. Not found is ``[]`` or an item without
``followersCount``. Each call starts a paid run, so a timed-out run (408, or our read timeout) is
not retried, and 402 (the account's monthly usage is spent) is terminal. Engagement follows the
Instagram formula over ``latestPosts``; hidden like counts (-1) are left out.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx

from adapters.platforms.engagement import PostCounts, instagram_engagement
from adapters.platforms.errors import (
    AccountNotFound,
    AccountPrivate,
    ProviderUnauthorized,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.provider import HttpProvider, as_count, as_text, as_time, dig
from adapters.platforms.quota_periods import next_month_start
from adapters.platforms.ratelimits import retry_after
from adapters.platforms.resilience import Guard
from adapters.platforms.types import (
    CountPrecision,
    Platform,
    PlatformProfile,
    ProviderName,
    RecentPost,
)

ACTOR = "apify~instagram-profile-scraper"


class InstagramApifyProvider(HttpProvider):
    name = ProviderName.APIFY
    platform = Platform.INSTAGRAM

    def __init__(
        self,
        http: httpx.AsyncClient,
        guard: Guard,
        *,
        token: str,
        base_url: str,
        run_timeout_seconds: float,
    ) -> None:
        super().__init__(http, guard)
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.run_timeout_seconds = run_timeout_seconds

    async def fetch(self, handle: str) -> PlatformProfile:
        items = await self.guard.run(lambda: self._run(handle))
        item = next(
            (
                i
                for i in items
                if isinstance(i, dict)
                and (as_text(i.get("username")) or "").lower() in ("", handle)
            ),
            None,
        )
        if item is None or "followersCount" not in item or item.get("error"):
            raise AccountNotFound(f"No Instagram account is named @{handle}.", provider=self.name)
        if item.get("private") is True:
            raise AccountPrivate(f"@{handle} is a private Instagram account.", provider=self.name)
        followers = as_count(item.get("followersCount"))
        user_id = as_text(item.get("id")) or (str(item["id"]) if "id" in item else None)
        if followers is None or user_id is None:
            raise self.malformed("an item without an id or followers")
        latest = [p for p in item.get("latestPosts") or [] if isinstance(p, dict)]
        posts = [
            PostCounts(likes=_signed(p.get("likesCount")), comments=_signed(p.get("commentsCount")))
            for p in latest
        ]
        recent = tuple(
            RecentPost(
                post_id=post_id,
                url=as_text(p.get("url")),
                kind=(as_text(p.get("type")) or "").upper() or None,
                published_at=as_time(p.get("timestamp")),
                likes=as_count(p.get("likesCount")),  # hidden (-1) becomes None
                comments=as_count(p.get("commentsCount")),
                views=as_count(p.get("videoViewCount")),
            )
            for p in latest
            if (post_id := as_text(p.get("id")) or as_text(p.get("shortCode")))
        )
        return PlatformProfile(
            platform=self.platform,
            handle=(as_text(item.get("username")) or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(item.get("fullName")),
            avatar_url=as_text(item.get("profilePicUrlHD")) or as_text(item.get("profilePicUrl")),
            bio=as_text(item.get("biography")),
            verified=item.get("verified") is True,
            followers=followers,
            following=as_count(item.get("followsCount")),
            content_count=as_count(item.get("postsCount")),
            total_likes=None,
            total_views=None,
            engagement=instagram_engagement(followers, posts),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=self.now(),
            posts=recent,
        )

    async def _run(self, handle: str) -> list[Any]:
        timeout = self.run_timeout_seconds
        response = await self.send(
            "POST",
            f"{self.base_url}/acts/{ACTOR}/run-sync-get-dataset-items",
            params={"timeout": str(int(timeout))},
            json={"usernames": [handle]},
            headers={"Authorization": f"Bearer {self.token}"},
            # The run may take up to its own timeout, then the answer its usual read time.
            timeout=httpx.Timeout(
                timeout + (self.http.timeout.read or 0), connect=self.http.timeout.connect
            ),
            idempotent=False,
        )
        if response.status_code == 200:
            body = self.json_body(response)
            if not isinstance(body, list):
                raise self.malformed("not an array of items")
            return body
        error_type = ""
        with contextlib.suppress(ValueError):
            error_type = as_text(dig(response.json(), "error", "type")) or ""
        now = self.now()
        if response.status_code == 408:
            raise ProviderUnavailable("The Apify run took too long.", provider=self.name)
        if response.status_code == 402 or "usage" in error_type:
            raise QuotaExhausted(
                "The Apify account's usage for this month is spent.",
                provider=self.name,
                retry_at=next_month_start(now),
            )
        if response.status_code == 429:
            raise RateLimited(
                "Apify is limiting our requests.",
                provider=self.name,
                retry_at=retry_after(response.headers, now),
            )
        if response.status_code in (401, 403, 404):
            raise ProviderUnauthorized(
                f"Apify refused the run ({response.status_code} {error_type}).",
                provider=self.name,
            )
        raise ProviderUnavailable(
            f"Apify answered {response.status_code} {error_type}.".strip(), provider=self.name
        )


def _signed(value: object) -> int | None:
    """A post count where a negative number means "hidden" (kept as -1 so the formula skips it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return as_count(value)
