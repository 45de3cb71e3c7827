"""Provider failures as types, not strings, so each reaches the user as an answer they can act on.

- ``AccountNotFound`` / ``AccountPrivate``: answers about the account, cached briefly.
- ``QuotaExhausted``: the provider's plan is used up until ``retry_at``; never retried, and the
  provider is skipped until then.
- ``RateLimited``: retry later (``retry_at``); retried in-request only when the wait is short.
- ``ProviderUnauthorized``: our credentials were refused — an operator problem.
- ``ProviderUnavailable``: 5xx, timeouts, connection failures, bodies we cannot read, an open
  circuit breaker.
- ``PlatformNotConfigured``: no provider has credentials for the platform (manual entry only).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from adapters.platforms.types import ProviderName


class ErrorKind(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    PRIVATE = "PRIVATE"
    QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
    RATE_LIMITED = "RATE_LIMITED"
    UNAUTHORIZED = "UNAUTHORIZED"
    UNAVAILABLE = "UNAVAILABLE"
    NOT_CONFIGURED = "NOT_CONFIGURED"


class ProviderError(Exception):
    kind: ClassVar[ErrorKind]

    def __init__(
        self,
        message: str,
        *,
        provider: ProviderName | None = None,
        retry_at: datetime | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.retry_at = retry_at
        self.retryable = retryable

    @property
    def about_the_account(self) -> bool:
        """True when the answer describes the account itself, so asking another provider of the
        same platform would not change it."""
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "message": self.message,
            "provider": self.provider.value if self.provider else None,
            "retryAt": self.retry_at.isoformat() if self.retry_at else None,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> ProviderError:
        cls = _BY_KIND[ErrorKind(data["kind"])]
        provider = ProviderName(data["provider"]) if data.get("provider") else None
        retry_at = datetime.fromisoformat(data["retryAt"]) if data.get("retryAt") else None
        if cls is AccountNotFound:
            return AccountNotFound(
                data["message"], provider=provider, definitive=bool(data.get("definitive", True))
            )
        return cls(data["message"], provider=provider, retry_at=retry_at)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, provider={self.provider})"


class AccountNotFound(ProviderError):
    """No such account. ``definitive=False`` when the provider cannot tell "absent" from "not
    reachable this way" (Instagram's business_discovery answers the same for personal accounts),
    so the next provider of the platform is still worth asking."""

    kind = ErrorKind.NOT_FOUND

    def __init__(
        self, message: str, *, provider: ProviderName | None = None, definitive: bool = True
    ) -> None:
        super().__init__(message, provider=provider)
        self.definitive = definitive

    @property
    def about_the_account(self) -> bool:
        return self.definitive

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "definitive": self.definitive}


class AccountPrivate(ProviderError):
    kind = ErrorKind.PRIVATE

    @property
    def about_the_account(self) -> bool:
        return True


class QuotaExhausted(ProviderError):
    kind = ErrorKind.QUOTA_EXHAUSTED


class QuotaReserved(QuotaExhausted):
    """Background work stopped at the quota kept for users (resilience.background_reserve): the
    provider still answers users, so nothing is blocked and no request was spent."""


class RateLimited(ProviderError):
    kind = ErrorKind.RATE_LIMITED

    def __init__(
        self,
        message: str,
        *,
        provider: ProviderName | None = None,
        retry_at: datetime | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(message, provider=provider, retry_at=retry_at, retryable=retryable)


class ProviderUnauthorized(ProviderError):
    kind = ErrorKind.UNAUTHORIZED


class ProviderUnavailable(ProviderError):
    kind = ErrorKind.UNAVAILABLE


class PlatformNotConfigured(ProviderError):
    kind = ErrorKind.NOT_CONFIGURED


_BY_KIND: dict[ErrorKind, type[ProviderError]] = {
    cls.kind: cls
    for cls in (
        AccountNotFound,
        AccountPrivate,
        QuotaExhausted,
        RateLimited,
        ProviderUnauthorized,
        ProviderUnavailable,
        PlatformNotConfigured,
    )
}
