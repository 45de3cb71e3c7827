"""What keeps one provider's troubles from becoming ours: bounded retries with full-jitter
exponential backoff that honour ``Retry-After``, a circuit breaker that stops hammering a
provider that keeps failing (and probes it again later), and a quota gate that skips a provider
whose plan is used up until it resets (a monthly quota is not retried).

The quota gate and the breaker's "open until" live in ``ProviderState`` — shared through Redis
when the app has it — so one instance's discovery spares the others a request. Each gate is
scoped to one provider *and key* (``scope``), so several keys of one provider are spent one
after the other. Background work (the scheduled refresh) runs with ``background_reserve`` set:
a key whose last known quota is down to that fraction is left to users.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from adapters.platforms.errors import (
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    QuotaReserved,
)
from adapters.platforms.provider_state import ProviderState
from adapters.platforms.types import ProviderName

log = logging.getLogger("creatorgraph.providers")

T = TypeVar("T")
_random = secrets.SystemRandom()

# The fraction of a provider's quota that background work must leave to users; set by the
# scheduled refresh around its fetches, None (no reserve) for work a user asked for.
background_reserve: ContextVar[float | None] = ContextVar("background_reserve", default=None)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` in all (the first included). Before attempt n+1 we wait a uniformly random
    time in [0, min(max_seconds, base_seconds × 2^(n-1))] ("full jitter"), but never less than
    the provider's ``Retry-After``; a ``Retry-After`` longer than ``max_wait_seconds`` is not
    waited out in-request: the error goes back to the caller with its time."""

    attempts: int = 3
    base_seconds: float = 0.5
    max_seconds: float = 8.0
    max_wait_seconds: float = 10.0

    def delay(self, attempt: int, not_before: float | None) -> float | None:
        if attempt >= self.attempts:
            return None
        backoff = _random.uniform(0, min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)))
        if not_before is None:
            return backoff
        if not_before > self.max_wait_seconds:
            return None
        return max(not_before, backoff)


@dataclass(slots=True)
class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures; open for ``reset_seconds``; then
    one probe at a time is let through (half-open): success closes it, failure reopens it."""

    threshold: int = 5
    reset_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    probe_started: float | None = None

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def seconds_until_probe(self) -> float | None:
        """None when a call may go ahead (and, when half-open, takes the probe slot)."""
        if self.opened_at is None:
            return None
        now = self.clock()
        wait = self.opened_at + self.reset_seconds - now
        if wait > 0:
            return wait
        # A probe that never reported back (its caller was cancelled) frees the slot in time.
        if self.probe_started is not None and now - self.probe_started < self.reset_seconds:
            return self.reset_seconds - (now - self.probe_started)
        self.probe_started = now
        return None

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probe_started = None

    def record_failure(self) -> None:
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.threshold:
            self.opened_at = self.clock()
            self.probe_started = None


@dataclass(slots=True)
class QuotaGate:
    """Remembers until when one provider key's plan quota is exhausted, so no request is spent on
    it, and what its last answer said was left (for the background reserve)."""

    scope: str
    state: ProviderState = field(default_factory=ProviderState)

    async def check(self, provider: ProviderName, now: datetime) -> None:
        until = await self.state.blocked_until(f"quota:{self.scope}")
        if until is not None and now < until:
            raise QuotaExhausted(
                "The provider's quota is used up.", provider=provider, retry_at=until
            )

    async def exhaust(self, until: datetime) -> None:
        await self.state.block(f"quota:{self.scope}", until)

    async def observe(
        self, limit: int | None, remaining: int | None, resets_at: datetime | None
    ) -> None:
        if limit is not None and remaining is not None and limit > 0:
            await self.state.record_quota(self.scope, limit, remaining, resets_at)

    async def within_reserve(self, fraction: float) -> bool:
        """True when the last known quota is down to ``fraction`` of the plan (or below)."""
        reading = await self.state.quota(self.scope)
        return reading is not None and reading.remaining <= reading.limit * fraction


@dataclass(slots=True)
class Guard:
    """One provider's retry policy, breaker and quota gate, applied to each HTTP exchange."""

    provider: ProviderName
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    quota: QuotaGate | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # "provider" or "provider:key-hash": what the quota gate and the shared breaker are about.
    scope: str = ""
    state: ProviderState = field(default_factory=ProviderState)

    def __post_init__(self) -> None:
        self.scope = self.scope or self.provider.value
        if self.quota is None:
            self.quota = QuotaGate(self.scope, self.state)

    @property
    def gate(self) -> QuotaGate:
        assert self.quota is not None  # set in __post_init__
        return self.quota

    async def run(self, exchange: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            now = datetime.now(UTC)
            await self.gate.check(self.provider, now)
            reserve = background_reserve.get()
            if reserve is not None and await self.gate.within_reserve(reserve):
                raise QuotaReserved(
                    "The rest of the provider's quota is kept for users.", provider=self.provider
                )
            wait = self.breaker.seconds_until_probe()
            if wait is None:
                shared = await self.state.blocked_until(f"breaker:{self.scope}")
                wait = None if shared is None else (shared - now).total_seconds()
            if wait is not None:
                raise ProviderUnavailable(
                    "The provider keeps failing; we are giving it a rest.",
                    provider=self.provider,
                    retry_at=now + timedelta(seconds=wait),
                )
            try:
                result = await exchange()
            except ProviderUnavailable as error:
                await self._failed()
                if not self._should_retry(error, attempt) or not await self._back_off(
                    error, attempt
                ):
                    raise
                continue
            except QuotaExhausted as error:
                await self._answered()
                until = error.retry_at or now + timedelta(hours=1)
                await self.gate.exhaust(until)
                log.warning("%s quota exhausted until %s", self.scope, until)
                raise
            except ProviderError as error:
                await self._answered()  # it answered; the answer is just not good news
                if not self._should_retry(error, attempt) or not await self._back_off(
                    error, attempt
                ):
                    raise
                continue
            await self._answered()
            return result

    async def _failed(self) -> None:
        self.breaker.record_failure()
        if self.breaker.is_open:  # opened or reopened: the others rest it as long
            until = datetime.now(UTC) + timedelta(seconds=self.breaker.reset_seconds)
            await self.state.block(f"breaker:{self.scope}", until)

    async def _answered(self) -> None:
        if self.breaker.is_open:
            await self.state.unblock(f"breaker:{self.scope}")
        self.breaker.record_success()

    def _should_retry(self, error: ProviderError, attempt: int) -> bool:
        return error.retryable and attempt < self.policy.attempts

    async def _back_off(self, error: ProviderError, attempt: int) -> bool:
        not_before = None
        if error.retry_at is not None:
            not_before = max(0.0, (error.retry_at - datetime.now(UTC)).total_seconds())
        delay = self.policy.delay(attempt, not_before)
        if delay is None:
            return False
        log.info("%s: %s; retry %d in %.2fs", self.provider, error.message, attempt, delay)
        await self.sleep(delay)
        return True
