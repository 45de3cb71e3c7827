"""TikTok Login Kit (API v2): the app id travels as ``client_key``, scopes are comma-separated,
PKCE S256 is effectively required; the refresh token "may change", so the new one is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authlib.common.urls import add_params_to_qs
from authlib.integrations.httpx_client import AsyncOAuth2Client

from adapters.oauth.client import PlatformOAuth, as_int, with_query
from adapters.oauth.errors import TokenRejected
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
)

FIELDS = (
    "open_id,username,display_name,avatar_url,follower_count,following_count,likes_count,"
    "video_count"
)


def _client_key_post(
    client: Any, method: str, uri: str, headers: dict[str, str], body: str
) -> tuple[str, dict[str, str], str]:
    body = add_params_to_qs(
        body or "", [("client_key", client.client_id), ("client_secret", client.client_secret)]
    )
    return uri, headers, body


class TikTokOAuth(PlatformOAuth):
    platform = "TIKTOK"
    scope = "user.info.basic,user.info.profile,user.info.stats"
    pkce = True
    auth_method = "client_key_post"

    def configure(self, oauth: AsyncOAuth2Client) -> None:
        oauth.register_client_auth_method(("client_key_post", _client_key_post))

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        url = super().authorization_url(state, code_verifier)
        return with_query(url, client_key=self.settings.client_id or "").replace(
            f"client_id={self.settings.client_id}&", "", 1
        )

    async def own_stats(self, access_token: str) -> PlatformProfile:
        body = await self.get_json(
            f"{self.settings.api_url}/user/info/?fields={FIELDS}", access_token
        )
        user: dict[str, Any] = (body.get("data") or {}).get("user") or {}
        return PlatformProfile(
            platform=Platform.TIKTOK,
            handle=str(user.get("username") or user.get("display_name") or user.get("open_id")),
            platform_user_id=str(user.get("open_id") or ""),
            display_name=user.get("display_name"),
            avatar_url=user.get("avatar_url"),
            bio=None,
            verified=None,
            followers=as_int(user.get("follower_count")),
            following=as_int(user.get("following_count")),
            content_count=as_int(user.get("video_count")),
            total_likes=as_int(user.get("likes_count")),
            total_views=None,
            engagement=Engagement.not_available(),
            precision=CountPrecision.EXACT,
            provider=ProviderName.OAUTH,
            fetched_at=datetime.now(UTC),
        )

    def api_error(self, status: int, body: object) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") == "access_token_invalid":
            raise TokenRejected(str(error.get("message") or "access_token_invalid"))
