"""Errors as exceptions inside, converted to ``userErrors`` values at one boundary (schema/)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Why an operation refused its input: one list for the whole API, because clients branch
    on these and already know them by name (never rename or remove one). Grouped by where they
    arise; each carries the sentence the SDL shows for it."""

    description: str

    def __new__(cls, value: str, description: str) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    # Input, in any mutation or paged query: the value at `field` breaks a rule.
    INVALID = "INVALID", "The value is malformed or not allowed (a bad cursor, character, date…)."
    REQUIRED = "REQUIRED", "A value is required here."
    TOO_SHORT = "TOO_SHORT", "The value is shorter than the minimum (e.g. a password)."
    TOO_LONG = "TOO_LONG", "The value is longer than the maximum."
    TOO_MANY = "TOO_MANY", "The list has more items than allowed."
    OUT_OF_RANGE = "OUT_OF_RANGE", "The number is below the minimum or above the maximum."
    DUPLICATE = (
        "DUPLICATE",
        ("It already exists or was given twice (an email, a pending request, a batch item)."),
    )
    NOT_FOUND = "NOT_FOUND", "The ID names nothing you can see."

    # Accounts and sessions (resolvers/auth.py).
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS", "The email and password do not match an account."
    INVALID_TOKEN = (
        "INVALID_TOKEN",
        ("The refresh token is malformed, expired or revoked; sign in again."),
    )
    TOKEN_REUSED = (
        "TOKEN_REUSED",
        ("The refresh token was already used; every session from it was signed out."),
    )
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED", "The account is suspended."
    TOO_COMMON = (
        "TOO_COMMON",
        "The password is among the most common ones, which are guessed first; choose another.",
    )
    INVALID_CODE = (
        "INVALID_CODE",
        "The emailed code is wrong, expired or used up (5 tries each); ask for a new one.",
    )
    EMAIL_NOT_VERIFIED = (
        "EMAIL_NOT_VERIFIED",
        "Verify your email address first (accountEmailVerify) to do this.",
    )

    # Throttling: too many syncs, sign-ins or fetches, or a data provider that is busy.
    RATE_LIMITED = (
        "RATE_LIMITED",
        ("Too many requests, from you or to a data provider; the message says when to try again."),
    )

    # Platform lookups and provider-connected accounts (resolvers/platforms.py).
    INVALID_HANDLE = "INVALID_HANDLE", "Not a handle or profile URL of that platform."
    PRIVATE = "PRIVATE", "The platform account is private; its stats cannot be fetched."
    QUOTA_EXCEEDED = (
        "QUOTA_EXCEEDED",
        (
            "The data provider's quota is used up until it resets; numbers can still be entered "
            "by hand."
        ),
    )
    PROVIDER_UNAVAILABLE = (
        "PROVIDER_UNAVAILABLE",
        ("The data provider is not answering; try again later or enter numbers by hand."),
    )
    PROVIDER_MISCONFIGURED = (
        "PROVIDER_MISCONFIGURED",
        ("The data provider is not set up correctly on this server."),
    )
    NOT_CONFIGURED = "NOT_CONFIGURED", "No data provider is configured for this platform."

    # Collaboration requests and chat: the thing exists, but not for this.
    NOT_ALLOWED = "NOT_ALLOWED", "You can see it, but only someone else may do this."
    INVALID_STATE = (
        "INVALID_STATE",
        ("It can no longer be changed this way (a request no longer pending, a message deleted)."),
    )


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
