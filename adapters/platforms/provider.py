"""What every provider adapter shares: the ``Provider`` interface, and an HTTP base that turns
transport failures, 5xx answers and unreadable bodies into typed errors and runs each exchange
under the provider's ``Guard`` (retries, circuit breaker, quota gate).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

import httpx
import orjson

from adapters.platforms.errors import ProviderUnavailable
from adapters.platforms.resilience import Guard
from adapters.platforms.types import Platform, PlatformProfile, ProviderName

log = logging.getLogger("creatorgraph.providers")


class Provider(Protocol):
    # Read-only: the adapters declare both as class constants.
    @property
    def name(self) -> ProviderName: ...

    @property
    def platform(self) -> Platform: ...

    async def fetch(self, handle: str) -> PlatformProfile:
        """The account's normalized profile; raises a ``ProviderError`` subclass otherwise."""
        ...


class HttpProvider(ABC):
    """Base for adapters that speak HTTP through the app's shared ``httpx.AsyncClient``."""

    name: ClassVar[ProviderName]
    platform: ClassVar[Platform]

    def __init__(self, http: httpx.AsyncClient, guard: Guard) -> None:
        self.http = http
        self.guard = guard

    @abstractmethod
    async def fetch(self, handle: str) -> PlatformProfile:
        """One handle's normalized profile, or a typed ProviderError."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """One HTTP exchange. Timeouts and connection failures become ``ProviderUnavailable``;
        only requests safe to repeat are marked retryable (a POST that may have started a paid
        run is not, unless it never connected)."""
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.ConnectError as exc:
            raise ProviderUnavailable(
                "The provider could not be reached.", provider=self.name, retryable=True
            ) from exc
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(
                "The provider did not answer in time.", provider=self.name, retryable=idempotent
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                "The connection to the provider failed.", provider=self.name, retryable=idempotent
            ) from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"The provider answered {response.status_code}.",
                provider=self.name,
                retryable=idempotent,
            )
        return response

    def json_body(self, response: httpx.Response) -> Any:
        """The decoded body; a body that is not JSON is the provider's fault, not retryable
        (asking again would spend quota for the same answer)."""
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise ProviderUnavailable(
                f"The provider sent an unreadable answer (HTTP {response.status_code}).",
                provider=self.name,
            ) from exc

    def malformed(self, what: str) -> ProviderUnavailable:
        log.warning("%s sent a malformed body: %s", self.name, what)
        return ProviderUnavailable(
            f"The provider sent an answer we could not read ({what}).", provider=self.name
        )


def as_count(value: object) -> int | None:
    """A count that may arrive as a number or a string of digits (YouTube, TikTok's ``statsV2``);
    None for anything else, including negatives some scrapers use for "hidden"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value >= 0 else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.isdigit():
            return int(text)
    return None


def as_time(value: object) -> datetime | None:
    """An ISO 8601 time as providers write it ("2025-01-01T00:00:00.000Z", "+0000"), in UTC;
    None when absent or unreadable."""
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def dig(data: object, *path: str | int) -> object:
    """``data[path[0]][path[1]]…``, or None when any step is missing or of the wrong kind —
    for tolerant reading of formats that change (twitter241, twitch-scraper2)."""
    current = data
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(step)
    return current
