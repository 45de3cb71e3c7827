"""Google / YouTube: offline access with consent shown every time (else a returning user gets no
refresh token); refresh answers carry no new refresh token, so the stored one is kept."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from adapters.oauth.client import PlatformOAuth, as_int
from adapters.oauth.errors import OAuthFailure
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
)


class YouTubeOAuth(PlatformOAuth):
    platform = "YOUTUBE"
    scope = "https://www.googleapis.com/auth/youtube.readonly"
    pkce = True  # optional at Google; taken wherever offered
    authorize_params: ClassVar[Mapping[str, str]] = {
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }

    async def own_stats(self, access_token: str) -> PlatformProfile:
        body = await self.get_json(
            f"{self.settings.api_url}/channels?part=snippet,statistics&mine=true", access_token
        )
        items = body.get("items") or []
        if not items:
            raise OAuthFailure("no_channel", "this Google account has no YouTube channel")
        channel: dict[str, Any] = items[0]
        snippet, stats = channel.get("snippet") or {}, channel.get("statistics") or {}
        hidden = bool(stats.get("hiddenSubscriberCount"))
        thumbnails = snippet.get("thumbnails") or {}
        avatar = (thumbnails.get("high") or thumbnails.get("default") or {}).get("url")
        handle = str(snippet.get("customUrl") or channel.get("id") or "").removeprefix("@")
        return PlatformProfile(
            platform=Platform.YOUTUBE,
            handle=handle,
            platform_user_id=str(channel.get("id") or ""),
            display_name=snippet.get("title"),
            avatar_url=avatar,
            bio=snippet.get("description"),
            verified=None,
            followers=None if hidden else as_int(stats.get("subscriberCount")),
            following=None,
            content_count=as_int(stats.get("videoCount")),
            total_likes=None,
            total_views=as_int(stats.get("viewCount")),
            engagement=Engagement.not_available(),
            precision=CountPrecision.HIDDEN if hidden else CountPrecision.ROUNDED,
            provider=ProviderName.OAUTH,
            fetched_at=datetime.now(UTC),
        )
