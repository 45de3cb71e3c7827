"""The image proxy for platform avatars: links the API hands out, and what answers them.

TikTok's and Instagram's CDN links expire and refuse other sites' pages, so the API never hands
them to browsers: it hands out ``/images/proxy?url=…&sig=…``, signed by this server (so the proxy
fetches only what the server chose to link) and the proxy fetches the image from the CDN (hosts
and addresses checked, see adapters/image_fetch.py), re-encodes it and caches the result.
"""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import urlencode

from adapters.image_fetch import ImageFetchError
from adapters.images import ImageRejectedError, proxied_image
from resolvers.media import MediaServices


class ProxyRefusedError(Exception):
    """Not a URL this server signed, or one the proxy may not fetch."""


class ProxyUpstreamError(Exception):
    """The CDN's answer is unusable: an error, not an image, too large, or not decodable."""


def proxied_url(media: MediaServices, url: str | None) -> str | None:
    """The proxy link for a platform avatar; None when there is none or the proxy would refuse
    it (a host that is not a platform CDN): such a link is not shown at all."""
    if not url or not media.fetcher.accepts(url):
        return None
    return f"{media.proxy_url}?{urlencode({'url': url, 'sig': media.signer.sign(url)})}"


async def proxied_image_bytes(media: MediaServices, url: str, signature: str) -> bytes:
    """The re-encoded image (WebP) behind a signed URL, from the cache when it is there."""
    if not url or not signature or not media.signer.verify(url, signature):
        raise ProxyRefusedError("The link is not signed by this server.")
    if not media.fetcher.accepts(url):
        raise ProxyRefusedError("The link does not point at a platform's image host.")
    key = hashlib.sha256(url.encode()).hexdigest()
    cached = await media.proxy_cache.get(key)
    if cached is not None:
        return cached
    try:
        image = await asyncio.to_thread(proxied_image, await media.fetcher.fetch(url))
    except (ImageFetchError, ImageRejectedError) as exc:
        raise ProxyUpstreamError(str(exc)) from exc
    await media.proxy_cache.set(key, image, media.proxy_cache_seconds)
    return image
