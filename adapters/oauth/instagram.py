"""Instagram API with Instagram Login: the code arrives with a ``#_`` tail; the exchange answer
is either wrapped in ``data[0]`` or flat, and errors come as ``error_type``/``error_message``;
the short-lived token is traded at once for a 60-day one, and that token itself is refreshed
(a GET with query parameters) — there is no refresh token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client

from adapters.oauth.client import PlatformOAuth, TokenSet, as_int, rewrite_body_error, with_query
from adapters.oauth.errors import OAuthUnavailable, TokenRejected
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
)

GRAPH_VERSION = "v21.0"
FIELDS = (
    "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,"
    "media_count"
)


def _normalize(response: httpx.Response) -> httpx.Response:
    try:
        body = response.json()
    except ValueError:
        return response
    if not isinstance(body, dict):
        return response
    if "error_type" in body or "error_message" in body:
        message = str(body.get("error_message") or "")
        used = "not found" in message.lower() or "already used" in message.lower()
        return rewrite_body_error(response, "invalid_grant" if used else "invalid_request", message)
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return httpx.Response(response.status_code, json=data[0], request=response.request)
    return response


class InstagramOAuth(PlatformOAuth):
    platform = "INSTAGRAM"
    scope = "instagram_business_basic"
    refreshes_access_token = True

    def configure(self, oauth: AsyncOAuth2Client) -> None:
        oauth.register_compliance_hook("access_token_response", _normalize)

    async def exchange(self, code: str, code_verifier: str | None) -> TokenSet:
        short = await super().exchange(code.removesuffix("#_"), None)
        long = await self._graph_token(
            "access_token",
            grant_type="ig_exchange_token",
            client_secret=self.settings.client_secret or "",
            access_token=short.access_token,
        )
        return TokenSet(
            access_token=long.access_token,
            refresh_token=None,
            expires_in=long.expires_in,
            refresh_expires_in=None,
            scope=short.scope,
            platform_user_id=short.platform_user_id,
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        """``refresh_token`` is the long-lived access token itself."""
        return await self._graph_token(
            "refresh_access_token", grant_type="ig_refresh_token", access_token=refresh_token
        )

    async def _graph_token(self, path: str, **params: str) -> TokenSet:
        url = with_query(f"{self.settings.api_url}/{path}", **params)
        try:
            response = await self.http.get(url)
        except httpx.TransportError as exc:
            raise OAuthUnavailable(type(exc).__name__) from None
        if response.status_code >= 500:
            raise OAuthUnavailable(f"HTTP {response.status_code}")
        try:
            body: Any = response.json()
        except ValueError:
            raise OAuthUnavailable("not JSON") from None
        self.api_error(response.status_code, body)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise OAuthUnavailable(f"HTTP {response.status_code}")
        return TokenSet.from_response(body)

    async def own_stats(self, access_token: str) -> PlatformProfile:
        body = await self.get_json(
            f"{self.settings.api_url}/{GRAPH_VERSION}/me?fields={FIELDS}", access_token
        )
        return PlatformProfile(
            platform=Platform.INSTAGRAM,
            handle=str(body.get("username") or ""),
            platform_user_id=str(body.get("user_id") or body.get("id") or ""),
            display_name=body.get("name"),
            avatar_url=body.get("profile_picture_url"),
            bio=None,
            verified=None,
            followers=as_int(body.get("followers_count")),
            following=as_int(body.get("follows_count")),
            content_count=as_int(body.get("media_count")),
            total_likes=None,
            total_views=None,
            engagement=Engagement.not_available(),
            precision=CountPrecision.EXACT,
            provider=ProviderName.OAUTH,
            fetched_at=datetime.now(UTC),
        )

    def api_error(self, status: int, body: object) -> None:
        """Graph's expired or revoked token: error code 190 (with a 400)."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") == 190:
            raise TokenRejected(str(error.get("message") or "OAuthException 190"))
