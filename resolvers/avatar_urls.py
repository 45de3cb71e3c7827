"""Which avatar URLs a profile may carry, and the uploads they point at.

An avatar is either one of the user's own uploads (``<media base>/avatars/<user id>/<random>/
512.webp``, from ``POST /uploads/avatar``) or an https URL whose host resolves only to public
addresses: anything else would let a visitor's browser, or a later server-side fetch, be pointed
at an internal service (``http://169.254.169.254/`` and the like).
"""

from __future__ import annotations

from adapters.ssrf import BlockedUrlError
from adapters.storage import valid_key
from resolvers.errors import ErrorCode, FieldError
from resolvers.media import MediaServices

AVATARS = "avatars"


def upload_prefix(user_id: int, token: str) -> str:
    """Where one upload's renditions are stored: a fresh prefix each time, so a new avatar
    never overwrites files a browser or CDN still caches under the old URL."""
    return f"{AVATARS}/{user_id}/{token}"


def own_upload_prefix(media: MediaServices, user_id: int, url: str | None) -> str | None:
    """The storage prefix of ``url`` when it is one of this user's uploads, else None. Another
    user's upload does not count: it is deleted when they replace it."""
    base = media.storage.url("")
    if not url or not url.startswith(base):
        return None
    key = url[len(base) :]
    parts = key.split("/")
    if not valid_key(key) or len(parts) != 4 or parts[:2] != [AVATARS, str(user_id)]:
        return None
    return "/".join(parts[:3])


async def public_url_errors(
    media: MediaServices, url: str, path: tuple[str, ...]
) -> list[FieldError]:
    """No errors when ``url`` is https on a host with public addresses only."""
    try:
        await media.address_guard.check(url)
    except BlockedUrlError as exc:
        return [
            FieldError(
                path,
                f"Use an https URL on a public host, or upload an image ({exc}).",
                ErrorCode.INVALID,
            )
        ]
    return []


async def remove_replaced_upload(media: MediaServices, user_id: int, old_url: str | None) -> None:
    """Deletes the files of a replaced avatar when they were this user's upload."""
    prefix = own_upload_prefix(media, user_id, old_url)
    if prefix is not None:
        await media.storage.delete(prefix)
