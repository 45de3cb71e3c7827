"""The one validation of free text people write to each other: chat messages, request notes.

Text is stored and returned exactly as written (trimmed): HTML stays text, and escaping is the
client's job when it renders. What is refused is what no person types and what a database or
a later reader would trip over: NUL and other control characters (PostgreSQL refuses NUL in
text) and lone surrogates (not encodable as UTF-8).
"""

from __future__ import annotations

import re

from resolvers.errors import ErrorCode, FieldError

# Control characters (Unicode category Cc); in written text, newline and tab are allowed.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_control_characters(value: str, *, line_breaks_allowed: bool = False) -> bool:
    """Whether ``value`` holds a character no person types into a one-line field (names, places,
    search text) or, with ``line_breaks_allowed``, into a message."""
    pattern = _CONTROL_BUT_LINE_BREAKS if line_breaks_allowed else _CONTROL
    return pattern.search(value) is not None


def clean_text(
    value: str | None, field: tuple[str, ...], limit: int, *, required: bool
) -> tuple[str | None, list[FieldError]]:
    """The trimmed text (None when empty and optional) and what is wrong with it."""
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            return None, [FieldError(field, "Write something first.", ErrorCode.REQUIRED)]
        return None, []
    if len(text) > limit:
        return None, [FieldError(field, f"Use at most {limit:,} characters.", ErrorCode.TOO_LONG)]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None, [FieldError(field, "The text contains invalid characters.", ErrorCode.INVALID)]
    if has_control_characters(text, line_breaks_allowed=True):
        return None, [FieldError(field, "Remove control characters.", ErrorCode.INVALID)]
    return text, []
