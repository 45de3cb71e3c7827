"""X API v2 user lookup by username, with an app-only bearer token.

Not found is a 200 whose body has ``errors`` and no ``data``. Two kinds of 429: a window limit
(retry at ``x-rate-limit-reset``) and the ``UsageCapExceeded`` product cap, which is terminal
until the cap's period (usually the month) ends. ``public_metrics.like_count`` counts posts the
user liked, not likes received, so it is not used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from adapters.platforms.engagement import x_engagement
from adapters.platforms.errors import (
    AccountNotFound,
    ProviderUnauthorized,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.provider import HttpProvider, as_count, as_text, dig
from adapters.platforms.quota_periods import next_day_start, next_month_start
from adapters.platforms.ratelimits import RateLimitInfo, retry_after, x_limits
from adapters.platforms.resilience import Guard
from adapters.platforms.types import CountPrecision, Platform, PlatformProfile, ProviderName

USER_FIELDS = "description,profile_image_url,verified,verified_type,created_at,public_metrics"
_NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
_USAGE_CAPPED_TYPE = "https://api.twitter.com/2/problems/usage-capped"


def next_period_start(now: datetime, period: str | None) -> datetime:
    """When a usage cap of ``period`` (Monthly, Daily) lifts: X does not say, so the start of the
    next calendar period in UTC."""
    if (period or "").lower() == "daily":
        return next_day_start(now)
    return next_month_start(now)


class XApiProvider(HttpProvider):
    name = ProviderName.X
    platform = Platform.TWITTER

    def __init__(
        self, http: httpx.AsyncClient, guard: Guard, *, bearer_token: str, base_url: str
    ) -> None:
        super().__init__(http, guard)
        self.bearer_token = bearer_token
        self.base_url = base_url.rstrip("/")
        self.limits: RateLimitInfo | None = None

    async def fetch(self, handle: str) -> PlatformProfile:
        body = await self.guard.run(lambda: self._lookup(handle))
        user = body.get("data")
        if not isinstance(user, dict):
            raise self.malformed("no user")
        user_id = as_text(user.get("id"))
        if user_id is None:
            raise self.malformed("a user without an id")
        metrics = user.get("public_metrics") or {}
        verified_type = as_text(user.get("verified_type"))
        return PlatformProfile(
            platform=self.platform,
            handle=(as_text(user.get("username")) or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(user.get("name")),
            avatar_url=as_text(user.get("profile_image_url")),
            bio=as_text(user.get("description")),
            verified=user.get("verified") is True
            or (verified_type is not None and verified_type != "none"),
            followers=as_count(dig(metrics, "followers_count")),
            following=as_count(dig(metrics, "following_count")),
            content_count=as_count(dig(metrics, "tweet_count")),
            total_likes=None,
            total_views=None,
            engagement=x_engagement(),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=self.now(),
        )

    async def _lookup(self, handle: str) -> dict[str, Any]:
        response = await self.send(
            "GET",
            f"{self.base_url}/users/by/username/{handle}",
            params={"user.fields": USER_FIELDS},
            headers={"Authorization": f"Bearer {self.bearer_token}"},
        )
        now = self.now()
        self.limits = x_limits(response.headers, now)
        await self.guard.gate.observe(
            self.limits.limit, self.limits.remaining, self.limits.reset_at
        )
        if response.status_code == 429:
            body = _maybe_json(response)
            if dig(body, "title") == "UsageCapExceeded" or dig(body, "type") == _USAGE_CAPPED_TYPE:
                period = as_text(dig(body, "period"))
                raise QuotaExhausted(
                    f"X's {(period or 'monthly').lower()} usage cap is reached.",
                    provider=self.name,
                    retry_at=next_period_start(now, period),
                )
            raise RateLimited(
                "X is limiting our requests.",
                provider=self.name,
                retry_at=retry_after(response.headers, now) or self.limits.reset_at,
            )
        body = self.json_body(response)
        if response.status_code in (401, 403):
            raise ProviderUnauthorized(
                f"X refused our bearer token ({response.status_code}).", provider=self.name
            )
        if response.status_code != 200 or not isinstance(body, dict):
            raise ProviderUnavailable(f"X answered {response.status_code}.", provider=self.name)
        if not isinstance(body.get("data"), dict):
            errors = body.get("errors")
            if isinstance(errors, list) and any(
                dig(e, "type") == _NOT_FOUND_TYPE or dig(e, "title") == "Not Found Error"
                for e in errors
            ):
                raise AccountNotFound(f"No X account is named @{handle}.", provider=self.name)
            raise self.malformed("neither data nor a not-found error")
        return body


def _maybe_json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
