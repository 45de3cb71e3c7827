"""Avatar uploads: untrusted bytes become clean square images in storage and the profile's
avatar, through the same profile update as ``profileUpdate`` (so completeness, the rizz score
and the stats event follow), and the previous upload's files go once the new ones are in use."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

from adapters.images import ImageRejectedError, avatar_renditions
from models import User
from resolvers.avatar_urls import upload_prefix
from resolvers.errors import RateLimitedError
from resolvers.profiles import ProfileChanges, update_profile
from resolvers.services import Services

# The rendition the profile's ``avatarUrl`` names; the others sit beside it (``256.webp``,
# ``64.jpg``, …), so a client picks a size by changing the file name.
MAIN_RENDITION = "512.webp"

__all__ = ["MAIN_RENDITION", "ImageRejectedError", "upload_avatar"]


async def upload_avatar(
    services: Services, user: User, read: Callable[[], Awaitable[bytes]]
) -> str:
    """Stores the image ``read`` gives as the user's avatar and returns its URL. The upload is
    counted against the user's limit before the body is read: every attempt costs decoding.
    Raises ``RateLimitedError`` or ``ImageRejectedError``, or what ``read`` raises (nothing
    is stored then)."""
    media = services.media
    retry_after = await media.upload_limiter.hit(str(user.id))
    if retry_after is not None:
        raise RateLimitedError(retry_after, "uploads", ["file"])
    data = await read()
    renditions = await asyncio.to_thread(avatar_renditions, data)
    prefix = upload_prefix(user.id, secrets.token_hex(8))
    try:
        for rendition in renditions:
            key = f"{prefix}/{rendition.size}.{rendition.extension}"
            await media.storage.put(key, rendition.data, rendition.content_type)
        url = media.storage.url(f"{prefix}/{MAIN_RENDITION}")
        await update_profile(services, user, ProfileChanges(avatar_url=url))
    except BaseException:
        await media.storage.delete(prefix)
        raise
    return url
