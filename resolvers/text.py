"""The one rule for every string a person writes that we store or search by: names, places,
bios, messages, request notes, search text.

Text is stored and returned exactly as written (trimmed): HTML stays text, and escaping is the
client's job when it renders. What is refused is what no person types and what a database or a
later reader would trip over, the same on SQLite and PostgreSQL:
- NUL and other control characters (PostgreSQL refuses NUL in text); newline and tab only in
  text that may span lines (bios, messages, notes);
- bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069), which make
  text read differently from what it holds ("Trojan Source");
- in one-line text (names, places), zero-width characters (U+200B–U+200D, U+2060, U+FEFF),
  which make two names that look alike differ; longer text keeps them (emoji need the joiner);
- lone surrogates, which cannot be encoded as UTF-8.
"""

from __future__ import annotations

import re

from resolvers.errors import ErrorCode, FieldError

_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # Unicode category Cc, less newline and tab
_BIDI = "\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
_SURROGATE = "\ud800-\udfff"
_ONE_LINE = re.compile(f"[\t\n{_CONTROL}{_BIDI}{_ZERO_WIDTH}{_SURROGATE}]")
_MULTI_LINE = re.compile(f"[{_CONTROL}{_BIDI}{_SURROGATE}]")

INVISIBLE_MESSAGE = "Remove control and invisible characters."


def has_forbidden_characters(value: str, *, line_breaks_allowed: bool = False) -> bool:
    """Whether ``value`` holds a character the rule above refuses: in a one-line field (names,
    places, search text) or, with ``line_breaks_allowed``, in text that may span lines."""
    pattern = _MULTI_LINE if line_breaks_allowed else _ONE_LINE
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
    if has_forbidden_characters(text, line_breaks_allowed=True):
        return None, [FieldError(field, INVISIBLE_MESSAGE, ErrorCode.INVALID)]
    return text, []
