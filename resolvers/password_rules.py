"""What a new password must be: 8 to 256 characters, and not one of the most common passwords.

The common passwords are the 30,000 most frequent of leaked password sets as the ``zxcvbn``
package ships them (its ``passwords`` frequency list), compared without case: these are what an
attacker guesses first, whatever the length rule admits.
"""

from __future__ import annotations

import functools

from resolvers.errors import ErrorCode, FieldError

PASSWORD_MIN = 8
PASSWORD_MAX = 256  # argon2 takes any length; an upper bound keeps hashing cost bounded.


@functools.cache
def common_passwords() -> frozenset[str]:
    """Loaded on first use (the list is large; most processes need it rarely)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"] if len(p) >= PASSWORD_MIN)


def password_errors(password: str, field: tuple[str, ...]) -> list[FieldError]:
    if len(password) < PASSWORD_MIN:
        return [FieldError(field, f"Use at least {PASSWORD_MIN} characters.", ErrorCode.TOO_SHORT)]
    if len(password) > PASSWORD_MAX:
        return [FieldError(field, f"Use at most {PASSWORD_MAX} characters.", ErrorCode.TOO_LONG)]
    if password.lower() in common_passwords():
        return [
            FieldError(
                field,
                "This password is one of the most common ones; choose a less guessable one.",
                ErrorCode.TOO_COMMON,
            )
        ]
    return []
