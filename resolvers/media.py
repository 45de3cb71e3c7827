"""What the avatar uploads need, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.ratelimit import RateLimiter
from adapters.ssrf import AddressGuard
from adapters.storage import Storage


@dataclass(slots=True)
class MediaServices:
    storage: Storage  # uploaded avatars (adapters/storage.py)
    upload_limiter: RateLimiter  # avatar uploads per user
    address_guard: AddressGuard  # public addresses only, for any URL a user gives us
