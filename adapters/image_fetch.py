"""Fetching a platform's image for the proxy: only from the platforms' CDN hosts, only public
addresses (``adapters/ssrf.py``, each redirect hop checked again), at most a few megabytes, and
only an answer that says it is an image. What comes back is still untrusted bytes: the caller
re-encodes them (``adapters/images.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from adapters.ssrf import AddressGuard, GuardedTransport

MAX_REDIRECTS = 3


class ImageFetchError(Exception):
    """The image cannot be had: a host not allowed, a blocked address, an upstream failure, an
    answer that is not an image or is too large."""


def host_allowed(host: str, suffixes: Sequence[str]) -> bool:
    """``host`` is one of ``suffixes`` or a subdomain of one (``p16.tiktokcdn.com``)."""
    host = host.lower().rstrip(".")
    return any(host == suffix or host.endswith("." + suffix) for suffix in suffixes)


class ImageFetcher:
    def __init__(
        self,
        guard: AddressGuard,
        hosts: Sequence[str],
        max_bytes: int,
        *,
        allow_loopback: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``allow_loopback``: loopback addresses and plain http too, for a fake CDN in tests
        only (settings refuse it in production)."""
        self.hosts = tuple(hosts)
        self.max_bytes = max_bytes
        self.schemes = frozenset({"https", "http"} if allow_loopback else {"https"})

        async def check_host(request: httpx.Request) -> None:
            # Every hop, redirects included: a CDN may not send us to any other host.
            if not host_allowed(request.url.host, self.hosts):
                raise ImageFetchError(f"{request.url.host} is not an image host we fetch from")

        self._client = httpx.AsyncClient(
            transport=GuardedTransport(
                guard, transport, schemes=self.schemes, allow_loopback=allow_loopback
            ),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(10.0, connect=3.0),
            event_hooks={"request": [check_host]},
            headers={"Accept": "image/webp,image/jpeg,image/png;q=0.9,*/*;q=0.1"},
        )

    def accepts(self, url: str) -> bool:
        """Whether ``url`` is one the proxy would try (scheme and host), without fetching it."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.scheme in self.schemes and host_allowed(parts.hostname or "", self.hosts)

    async def fetch(self, url: str) -> bytes:
        if not self.accepts(url):
            raise ImageFetchError("not an image host we fetch from")
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ImageFetchError(f"the image host answered {response.status_code}")
                content_type = response.headers.get("content-type", "").lower()
                if not content_type.startswith("image/"):
                    raise ImageFetchError(f"the answer is {content_type or 'untyped'}, no image")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise ImageFetchError("the image is too large")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise ImageFetchError("the image is too large")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise ImageFetchError(f"the image could not be fetched: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
