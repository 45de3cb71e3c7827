"""What the RapidAPI-hosted scrapers share: the key and host headers, the plan-quota headers, and
RapidAPI's own error bodies (``{"message": …}``).

The ``X-RapidAPI-Host`` header always names the API's own host, whatever base URL the operator
points us at (a proxy, or a fake server in tests). A 429 whose message mentions a quota ("You
have exceeded the MONTHLY quota …") is terminal until the plan resets; any other 429 is a
short-term limit and is retried. When a successful answer says no requests remain in the plan,
the provider is skipped until the reset instead of spending a request to learn it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from adapters.platforms.errors import (
    ProviderUnauthorized,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from adapters.platforms.provider import HttpProvider, as_text, dig
from adapters.platforms.quota_periods import next_day_start, next_month_start
from adapters.platforms.ratelimits import (
    RateLimitInfo,
    rapidapi_plan,
    rapidapi_window,
    retry_after,
)
from adapters.platforms.resilience import Guard

TIKTOK_HOST = "tiktok-api23.p.rapidapi.com"
TWITTER_HOST = "twitter241.p.rapidapi.com"
TWITCH_HOST = "twitch-scraper2.p.rapidapi.com"


def quota_fallback_reset(now: datetime, message: str) -> datetime:
    """When no header says, a daily quota resets tomorrow and a monthly one next month (UTC)."""
    if "DAILY" in message.upper():
        return next_day_start(now)
    return next_month_start(now)


class RapidApiProvider(HttpProvider):
    host: str

    def __init__(self, http: httpx.AsyncClient, guard: Guard, *, key: str, base_url: str) -> None:
        super().__init__(http, guard)
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.plan: RateLimitInfo | None = None

    async def get_json(self, path: str, params: dict[str, str]) -> Any:
        response = await self.send(
            "GET",
            f"{self.base_url}{path}",
            params=params,
            headers={"X-RapidAPI-Key": self.key, "X-RapidAPI-Host": self.host},
        )
        now = self.now()
        self.plan = rapidapi_plan(response.headers, now)
        await self.guard.gate.observe(self.plan.limit, self.plan.remaining, self.plan.reset_at)
        if response.status_code == 200:
            body = self.json_body(response)
            if self.plan.exhausted and self.plan.reset_at is not None:
                await self.guard.gate.exhaust(self.plan.reset_at)
            return body
        message = _message(response)
        if response.status_code == 429:
            if "quota" in message.lower():
                raise QuotaExhausted(
                    "The provider's plan quota is used up.",
                    provider=self.name,
                    retry_at=self.plan.reset_at or quota_fallback_reset(now, message),
                )
            raise RateLimited(
                "The provider is limiting our requests.",
                provider=self.name,
                retry_at=retry_after(response.headers, now)
                or rapidapi_window(response.headers, now).reset_at,
            )
        if response.status_code in (401, 403):
            raise ProviderUnauthorized(
                f"RapidAPI refused our key: {message or response.status_code}",
                provider=self.name,
            )
        raise ProviderUnavailable(
            f"The provider answered {response.status_code}: {message}".rstrip(": "),
            provider=self.name,
        )


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return as_text(dig(body, "message")) or ""
