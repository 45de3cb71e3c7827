"""Errors as exceptions inside, converted to ``userErrors`` values at one boundary (schema/)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 (an error code)
    TOKEN_REUSED = "TOKEN_REUSED"  # noqa: S105 (an error code)
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    RATE_LIMITED = "RATE_LIMITED"
    # Platform lookups and provider-connected accounts (resolvers/platforms.py).
    INVALID_HANDLE = "INVALID_HANDLE"
    PRIVATE = "PRIVATE"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    PROVIDER_MISCONFIGURED = "PROVIDER_MISCONFIGURED"
    NOT_CONFIGURED = "NOT_CONFIGURED"
    NOT_ALLOWED = "NOT_ALLOWED"  # you can see it, but only someone else may do this
    INVALID_STATE = "INVALID_STATE"  # e.g. a request no longer pending, a message deleted


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with the input: where (a path into the input), what, and a stable code."""

    field: tuple[str, ...] | None
    message: str
    code: ErrorCode


class OperationError(Exception):
    """An operation refused its input; nothing was written."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def single(cls, field: Sequence[str] | None, message: str, code: ErrorCode) -> OperationError:
        return cls([FieldError(tuple(field) if field is not None else None, message, code)])


class RateLimitedError(OperationError):
    def __init__(self, retry_after_seconds: int, what: str = "syncs") -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            [
                FieldError(
                    None,
                    f"Too many {what}. Try again in {retry_after_seconds} seconds.",
                    ErrorCode.RATE_LIMITED,
                )
            ]
        )


class NotAuthenticatedError(Exception):
    """No valid access token came with the request; the API answers UNAUTHENTICATED."""
