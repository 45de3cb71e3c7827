"""What keeps one provider's troubles from becoming ours: bounded retries with full-jitter
exponential backoff that honour ``Retry-After``, a circuit breaker that stops hammering a
provider that keeps failing (and probes it again later), and a quota gate that skips a provider
whose plan is used up until it resets (a monthly quota is not retried).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from adapters.platforms.errors import ProviderError, ProviderUnavailable, QuotaExhausted
from adapters.platforms.types import ProviderName

log = logging.getLogger("creatorgraph.providers")

T = TypeVar("T")
_random = secrets.SystemRandom()


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
    """Remembers until when a provider's plan quota is exhausted, so no request is spent on it."""

    exhausted_until: datetime | None = None

    def check(self, provider: ProviderName, now: datetime) -> None:
        if self.exhausted_until is not None:
            if now < self.exhausted_until:
                raise QuotaExhausted(
                    "The provider's quota is used up.",
                    provider=provider,
                    retry_at=self.exhausted_until,
                )
            self.exhausted_until = None

    def exhaust(self, until: datetime) -> None:
        self.exhausted_until = until


@dataclass(slots=True)
class Guard:
    """One provider's retry policy, breaker and quota gate, applied to each HTTP exchange."""

    provider: ProviderName
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    quota: QuotaGate = field(default_factory=QuotaGate)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def run(self, exchange: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            now = datetime.now(UTC)
            self.quota.check(self.provider, now)
            wait = self.breaker.seconds_until_probe()
            if wait is not None:
                raise ProviderUnavailable(
                    "The provider keeps failing; we are giving it a rest.",
                    provider=self.provider,
                    retry_at=now + timedelta(seconds=wait),
                )
            try:
                result = await exchange()
            except ProviderUnavailable as error:
                self.breaker.record_failure()
                if not self._should_retry(error, attempt) or not await self._back_off(
                    error, attempt
                ):
                    raise
                continue
            except QuotaExhausted as error:
                self.breaker.record_success()
                self.quota.exhaust(error.retry_at or now + timedelta(hours=1))
                log.warning(
                    "%s quota exhausted until %s", self.provider, self.quota.exhausted_until
                )
                raise
            except ProviderError as error:
                self.breaker.record_success()  # it answered; the answer is just not good news
                if not self._should_retry(error, attempt) or not await self._back_off(
                    error, attempt
                ):
                    raise
                continue
            self.breaker.record_success()
            return result

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
