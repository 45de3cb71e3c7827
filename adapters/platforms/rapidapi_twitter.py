"""X through RapidAPI's twitter241 (``/user?username=``).

The user sits at ``result.data.user.result``. X moved name, handle and avatar from ``legacy`` to
``core`` / ``avatar``, so both are read. An empty result or a ``UserUnavailable`` is not found.
``favourites_count`` is likes given, not received, so it is not used.
"""

from __future__ import annotations

from adapters.platforms.engagement import x_engagement
from adapters.platforms.errors import AccountNotFound
from adapters.platforms.provider import as_count, as_text, dig
from adapters.platforms.rapidapi import TWITTER_HOST, RapidApiProvider
from adapters.platforms.types import CountPrecision, Platform, PlatformProfile, ProviderName


class TwitterRapidApiProvider(RapidApiProvider):
    name = ProviderName.RAPIDAPI
    platform = Platform.TWITTER
    host = TWITTER_HOST

    async def fetch(self, handle: str) -> PlatformProfile:
        body = await self.guard.run(lambda: self.get_json("/user", {"username": handle}))
        user = dig(body, "result", "data", "user", "result")
        if not isinstance(user, dict) or not user or user.get("__typename") == "UserUnavailable":
            raise AccountNotFound(f"No X account is named @{handle}.", provider=self.name)
        legacy = user.get("legacy")
        if not isinstance(legacy, dict):
            legacy = {}
        user_id = as_text(user.get("rest_id"))
        followers = as_count(legacy.get("followers_count"))
        if user_id is None or followers is None:
            raise self.malformed("a user without an id or followers")
        screen_name = as_text(dig(user, "core", "screen_name")) or as_text(
            legacy.get("screen_name")
        )
        return PlatformProfile(
            platform=self.platform,
            handle=(screen_name or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(dig(user, "core", "name")) or as_text(legacy.get("name")),
            avatar_url=as_text(dig(user, "avatar", "image_url"))
            or as_text(legacy.get("profile_image_url_https")),
            bio=as_text(legacy.get("description")),
            verified=user.get("is_blue_verified") is True or legacy.get("verified") is True,
            followers=followers,
            following=as_count(legacy.get("friends_count")),
            content_count=as_count(legacy.get("statuses_count")),
            total_likes=None,
            total_views=None,
            engagement=x_engagement(),
            precision=CountPrecision.EXACT,
            provider=self.name,
            fetched_at=self.now(),
        )
