"""Errors as exceptions inside, converted to ``userErrors`` values at one boundary (schema/)."""

from __future__ import annotations

import math
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
    """A limiter refused: every limit (syncs, sign-ins, lookups, forced refreshes) raises this one
    type, so GraphQL answers RATE_LIMITED and REST answers 429 with ``Retry-After`` alike."""

    def __init__(
        self,
        retry_after_seconds: int,
        what: str = "syncs",
        field: Sequence[str] | None = None,
    ) -> None:
        self.retry_after_seconds = retry_after_seconds
        self.what = what
        super().__init__(
            [
                FieldError(
                    tuple(field) if field is not None else None,
                    f"Too many {what}. Try again in {duration_text(retry_after_seconds)}.",
                    ErrorCode.RATE_LIMITED,
                )
            ]
        )


def duration_text(seconds: int) -> str:
    """A wait in words, as people read it: "45 seconds", "3 minutes", "2 hours" (rounded up)."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 2 * 3600:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


class NotAuthenticatedError(Exception):
    """No valid access token came with the request; the API answers UNAUTHENTICATED."""
