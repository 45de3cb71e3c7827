"""Reading each provider's rate-limit and quota headers into one shape.

Providers say "when may I try again" in different units: Twitch and X send epoch seconds,
RapidAPI sends seconds from now, ``Retry-After`` is seconds or an HTTP date, and Meta sends
usage percentages with an estimate in minutes. Unreadable values are ignored, never fatal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import orjson

# An epoch timestamp below this is not one (it would be before 2001): treat it as seconds from now.
_EPOCH_FLOOR = 1_000_000_000


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


@dataclass(frozen=True, slots=True)
class MetaUsage:
    """Meta's ``X-App-Usage`` / ``X-Business-Use-Case-Usage``: the highest usage in percent of
    the limit and, when throttled, how long until access returns."""

    max_percent: float | None
    regain_at: datetime | None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def _at(value: str | None, now: datetime, *, epoch: bool) -> datetime | None:
    number = _int(value)
    if number is None or number < 0:
        return None
    if epoch and number >= _EPOCH_FLOOR:
        return datetime.fromtimestamp(number, UTC)
    return now + timedelta(seconds=number)


def retry_after(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """``Retry-After``: delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _int(raw)
    if seconds is not None:
        return now + timedelta(seconds=max(0, seconds))
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def twitch_limits(headers: Mapping[str, str], now: datetime) -> RateLimitInfo:
    """Helix: ``Ratelimit-Limit``, ``Ratelimit-Remaining``, ``Ratelimit-Reset`` (epoch seconds)."""
    return RateLimitInfo(
        _int(headers.get("ratelimit-limit")),
        _int(headers.get("ratelimit-remaining")),
        _at(headers.get("ratelimit-reset"), now, epoch=True),
    )


def x_limits(headers: Mapping[str, str], now: datetime) -> RateLimitInfo:
    """X API v2: ``x-rate-limit-limit``, ``-remaining``, ``-reset`` (epoch seconds)."""
    return RateLimitInfo(
        _int(headers.get("x-rate-limit-limit")),
        _int(headers.get("x-rate-limit-remaining")),
        _at(headers.get("x-rate-limit-reset"), now, epoch=True),
    )


def rapidapi_plan(headers: Mapping[str, str], now: datetime) -> RateLimitInfo:
    """RapidAPI plan quota: ``x-ratelimit-requests-limit``, ``-remaining``, ``-reset`` (seconds
    until the quota period ends)."""
    return RateLimitInfo(
        _int(headers.get("x-ratelimit-requests-limit")),
        _int(headers.get("x-ratelimit-requests-remaining")),
        _at(headers.get("x-ratelimit-requests-reset"), now, epoch=False),
    )


def rapidapi_window(headers: Mapping[str, str], now: datetime) -> RateLimitInfo:
    """RapidAPI per-window limit (some APIs): ``x-ratelimit-limit``, ``-remaining``, ``-reset``."""
    return RateLimitInfo(
        _int(headers.get("x-ratelimit-limit")),
        _int(headers.get("x-ratelimit-remaining")),
        _at(headers.get("x-ratelimit-reset"), now, epoch=False),
    )


def meta_usage(headers: Mapping[str, str], now: datetime) -> MetaUsage:
    percents: list[float] = []
    regain_minutes: list[float] = []
    app = _json(headers.get("x-app-usage"))
    if isinstance(app, dict):
        percents += _percents(app)
    business = _json(headers.get("x-business-use-case-usage"))
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    percents += _percents(entry)
                    minutes = entry.get("estimated_time_to_regain_access")
                    if isinstance(minutes, int | float) and minutes > 0:
                        regain_minutes.append(float(minutes))
    return MetaUsage(
        max(percents) if percents else None,
        now + timedelta(minutes=max(regain_minutes)) if regain_minutes else None,
    )


def _json(raw: str | None) -> object:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _percents(entry: dict[str, object]) -> list[float]:
    return [
        float(v)
        for k, v in entry.items()
        if k in {"call_count", "total_cputime", "total_time"} and isinstance(v, int | float)
    ]
