"""Twitch through RapidAPI's twitch-scraper2 (``/api/channels/info?channel=``).

*Unverified format*: only third-party code reading it was found, so parsing is tolerant —
``data.user`` with ``id, login, displayName, description, profileImageURL, followers.totalCount,
roles.isPartner``; a null or missing user is not found. No likes on Twitch: engagement is not
available.
"""

from __future__ import annotations

from adapters.platforms.engagement import twitch_engagement
from adapters.platforms.errors import AccountNotFound
from adapters.platforms.provider import as_count, as_text, dig
from adapters.platforms.rapidapi import TWITCH_HOST, RapidApiProvider
from adapters.platforms.types import CountPrecision, Platform, PlatformProfile, ProviderName


class TwitchRapidApiProvider(RapidApiProvider):
    name = ProviderName.RAPIDAPI
    platform = Platform.TWITCH
    host = TWITCH_HOST

    async def fetch(self, handle: str) -> PlatformProfile:
        body = await self.guard.run(
            lambda: self.get_json("/api/channels/info", {"channel": handle})
        )
        user = dig(body, "data", "user")
        if not isinstance(user, dict) or not user:
            raise AccountNotFound(f"No Twitch channel is named {handle}.", provider=self.name)
        user_id = as_text(user.get("id"))
        followers = as_count(dig(user, "followers", "totalCount"))
        if user_id is None or followers is None:
            raise self.malformed("a channel without an id or followers")
        return PlatformProfile(
            platform=self.platform,
            handle=(as_text(user.get("login")) or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(user.get("displayName")),
            avatar_url=as_text(user.get("profileImageURL")),
            bio=as_text(user.get("description")),
            verified=dig(user, "roles", "isPartner") is True,
            followers=followers,
            following=None,
            content_count=None,
            total_likes=None,
            total_views=None,
            engagement=twitch_engagement(),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=self.now(),
        )
