"""TikTok through RapidAPI's tiktok-api23 (``/api/user/info?uniqueId=``).

``stats`` holds rounded numbers and ``statsV2`` exact ones as strings: ``statsV2`` wins. A
missing or banned user is a 200 with ``statusCode`` 10202 or 10221 and no ``userInfo``. A private
account is refused: its videos, and so its engagement, cannot be seen.
"""

from __future__ import annotations

from adapters.platforms.engagement import tiktok_engagement
from adapters.platforms.errors import AccountNotFound, AccountPrivate, ProviderUnavailable
from adapters.platforms.provider import as_count, as_text, dig
from adapters.platforms.rapidapi import TIKTOK_HOST, RapidApiProvider
from adapters.platforms.types import CountPrecision, Platform, PlatformProfile, ProviderName

NOT_FOUND_CODES = {10202, 10221}


class TikTokRapidApiProvider(RapidApiProvider):
    name = ProviderName.RAPIDAPI
    platform = Platform.TIKTOK
    host = TIKTOK_HOST

    async def fetch(self, handle: str) -> PlatformProfile:
        body = await self.guard.run(lambda: self.get_json("/api/user/info", {"uniqueId": handle}))
        status = dig(body, "statusCode")
        if status in NOT_FOUND_CODES:
            raise AccountNotFound(f"No TikTok account is named @{handle}.", provider=self.name)
        if status not in (0, None):
            raise ProviderUnavailable(
                f"The TikTok provider answered statusCode {status}.", provider=self.name
            )
        user = dig(body, "userInfo", "user")
        if not isinstance(user, dict):
            raise AccountNotFound(f"No TikTok account is named @{handle}.", provider=self.name)
        if user.get("privateAccount") is True:
            raise AccountPrivate(f"@{handle} is a private TikTok account.", provider=self.name)
        exact = dig(body, "userInfo", "statsV2")
        rounded = dig(body, "userInfo", "stats")
        stats = exact if isinstance(exact, dict) and exact else rounded
        if not isinstance(stats, dict):
            raise self.malformed("no stats")
        followers = as_count(stats.get("followerCount"))
        hearts = as_count(stats.get("heartCount"))
        if hearts is None:
            hearts = as_count(stats.get("heart"))
        videos = as_count(stats.get("videoCount"))
        user_id = as_text(user.get("id"))
        if user_id is None or followers is None:
            raise self.malformed("a user without an id or followers")
        avatar = next(
            (
                as_text(user.get(key))
                for key in ("avatarLarger", "avatarMedium", "avatarThumb")
                if as_text(user.get(key))
            ),
            None,
        )
        return PlatformProfile(
            platform=self.platform,
            handle=(as_text(user.get("uniqueId")) or handle).lower(),
            platform_user_id=user_id,
            display_name=as_text(user.get("nickname")),
            avatar_url=avatar,
            bio=as_text(user.get("signature")),
            verified=user.get("verified") is True,
            followers=followers,
            following=as_count(stats.get("followingCount")),
            content_count=videos,
            total_likes=hearts,
            total_views=None,
            engagement=tiktok_engagement(followers, hearts, videos),
            precision=CountPrecision.EXACT if stats is exact else CountPrecision.ROUNDED,
            provider=self.name,
            fetched_at=self.now(),
        )
