"""What the avatar uploads and the image proxy need, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.cache import Cache
from adapters.image_fetch import ImageFetcher
from adapters.ratelimit import RateLimiter
from adapters.ssrf import AddressGuard
from adapters.storage import Storage
from adapters.url_signer import UrlSigner


@dataclass(slots=True)
class MediaServices:
    storage: Storage  # uploaded avatars (adapters/storage.py)
    upload_limiter: RateLimiter  # avatar uploads per user
    address_guard: AddressGuard  # public addresses only, for any URL a user gives us
    signer: UrlSigner  # signs the URLs the image proxy will fetch
    fetcher: ImageFetcher  # the proxy's fetches from the platforms' CDNs
    proxy_cache: Cache  # re-encoded proxied images
    proxy_cache_seconds: int
    proxy_url: str  # where clients reach the proxy ("/images/proxy")
