"""Twitch Helix with an app access token (client credentials).

The token is fetched once and cached until shortly before it expires; concurrent lookups share
one token request, and instances share the token through the provider state (Redis when
configured: an app token reads only public data, and every instance would fetch its own
otherwise). A 401 renews the token once, then fails as unauthorized. ``/users`` answers
``{"data": []}`` for an unknown login; followers come from ``/channels/followers`` (``total`` is
filled with an app token). Twitch has no "verified" flag (a partner is the closest) and no likes,
so engagement is not available — the deprecated ``view_count`` is kept as total views only.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from adapters.platforms.engagement import twitch_engagement
from adapters.platforms.errors import (
    AccountNotFound,
    ProviderUnauthorized,
    ProviderUnavailable,
    RateLimited,
)
from adapters.platforms.provider import HttpProvider, as_count, as_text
from adapters.platforms.ratelimits import RateLimitInfo, retry_after, twitch_limits
from adapters.platforms.resilience import Guard
from adapters.platforms.types import CountPrecision, Platform, PlatformProfile, ProviderName

TOKEN_RENEW_MARGIN_SECONDS = 300.0
# How long an instance uses a token it read from the shared state before reading it again
# (another instance may have renewed it).
SHARED_TOKEN_RECHECK_SECONDS = 60.0


class TwitchHelixProvider(HttpProvider):
    name = ProviderName.HELIX
    platform = Platform.TWITCH

    def __init__(
        self,
        http: httpx.AsyncClient,
        guard: Guard,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        auth_url: str,
    ) -> None:
        super().__init__(http, guard)
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_url = api_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._token_lock = asyncio.Lock()
        self.token_requests = 0
        self.limits: RateLimitInfo | None = None

    async def fetch(self, handle: str) -> PlatformProfile:
        users = await self.guard.run(lambda: self._helix("users", {"login": handle}))
        data = users.get("data")
        if not isinstance(data, list):
            raise self.malformed("no data list")
        if not data or not isinstance(data[0], dict):
            raise AccountNotFound(f"No Twitch channel is named {handle}.", provider=self.name)
        user = data[0]
        user_id = as_text(user.get("id"))
        if user_id is None:
            raise self.malformed("a user without an id")
        followers_body = await self.guard.run(
            lambda: self._helix("channels/followers", {"broadcaster_id": user_id})
        )
        followers = as_count(followers_body.get("total"))
        if followers is None:
            raise self.malformed("no follower total")
        return PlatformProfile(
            platform=self.platform,
            handle=(as_text(user.get("login")) or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(user.get("display_name")),
            avatar_url=as_text(user.get("profile_image_url")),
            bio=as_text(user.get("description")),
            verified=user.get("broadcaster_type") == "partner",
            followers=followers,
            following=None,
            content_count=None,
            total_likes=None,
            total_views=as_count(user.get("view_count")),
            engagement=twitch_engagement(),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=self.now(),
        )

    async def _helix(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        token = await self._app_token()
        response = await self._get(path, params, token)
        if response.status_code == 401:
            token = await self._app_token(stale=token)
            response = await self._get(path, params, token)
            if response.status_code == 401:
                raise ProviderUnauthorized(
                    "Twitch refused our app token twice.", provider=self.name
                )
        if response.status_code == 429:
            now = self.now()
            raise RateLimited(
                "Twitch is limiting our requests.",
                provider=self.name,
                retry_at=retry_after(response.headers, now)
                or twitch_limits(response.headers, now).reset_at,
            )
        body = self.json_body(response)
        if response.status_code in (400, 403):
            raise ProviderUnauthorized(
                f"Twitch refused the request ({response.status_code}).", provider=self.name
            )
        if response.status_code == 404:
            raise AccountNotFound("That Twitch channel was not found.", provider=self.name)
        if response.status_code != 200 or not isinstance(body, dict):
            raise ProviderUnavailable(
                f"Twitch answered {response.status_code}.", provider=self.name
            )
        return body

    async def _get(self, path: str, params: dict[str, str], token: str) -> httpx.Response:
        response = await self.send(
            "GET",
            f"{self.api_url}/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}", "Client-Id": self.client_id},
        )
        self.limits = twitch_limits(response.headers, self.now())
        await self.guard.gate.observe(
            self.limits.limit, self.limits.remaining, self.limits.reset_at
        )
        return response

    async def _app_token(self, stale: str | None = None) -> str:
        """The cached app token, or a new one when it is about to expire or ``stale`` (the token
        that was just refused) is still the cached one."""
        async with self._token_lock:
            fresh = self._token is not None and time.monotonic() < self._token_renew_at
            if fresh and (stale is None or self._token != stale):
                assert self._token is not None
                return self._token
            shared_name = f"twitch-app-token:{self.guard.scope}"
            shared = await self.guard.state.get(shared_name)
            if shared is not None and shared != stale:
                self._token = shared
                self._token_renew_at = time.monotonic() + SHARED_TOKEN_RECHECK_SECONDS
                return shared
            self.token_requests += 1
            response = await self.send(
                "POST",
                f"{self.auth_url}/token",
                data={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "grant_type": "client_credentials",
                },
            )
            body = self.json_body(response)
            if response.status_code in (400, 401, 403):
                raise ProviderUnauthorized(
                    "Twitch refused our client id and secret.", provider=self.name
                )
            token = as_text(body.get("access_token")) if isinstance(body, dict) else None
            expires_in = as_count(body.get("expires_in")) if isinstance(body, dict) else None
            if response.status_code != 200 or token is None or expires_in is None:
                raise self.malformed("no access token")
            margin = min(TOKEN_RENEW_MARGIN_SECONDS, expires_in / 10)
            self._token = token
            self._token_renew_at = time.monotonic() + expires_in - margin
            await self.guard.state.set(shared_name, token, expires_in - margin)
            return token
