"""Relevance for discovery's ``search``: which profiles a search text matches, and how well.

A profile matches when the text is in its display name or bio (literally, ignoring case: the
filter discovery always had), when it is a misspelling of words of the display name, or (on
PostgreSQL) when its full-text document holds every word of the text.

The score is an integer, so a cursor can hold it exactly and the keyset ``(score, id)`` pages
without repeats; for one text and one row it is always the same:

- PostgreSQL: 1000 × (ts_rank of the document, display name + bio + niches, for the text's
  words + word_similarity of the text to the display name + 1 if the display name holds the
  text), rounded.
- SQLite: 1000 × (the share of the text's trigrams found in the display name + 1 if the display
  name holds the text) + 500 if the bio holds it.

A misspelling matches on words of letters and digits only: text with punctuation (handles,
``%``, ``_``) matches literally, as it always did. PostgreSQL calls a name misspelt when
``word_similarity`` reaches 0.35 (the migration sets it as ``pg_trgm``'s threshold); SQLite when
at least 40% of the text's trigrams (three-letter runs, ignoring case) are in the name.
"""

from __future__ import annotations

import math

from tortoise.expressions import RawSQL

FUZZY_MIN_SHARE = 0.4
# Far above any score either formula gives, to refuse cursors that no row could have made.
RELEVANCE_MAX = 1_000_000
_POSTGRES_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(profiles.display_name, '') || ' '"
    " || coalesce(profiles.bio, '')"
    " || ' ' || replace(profiles.niche_tags, '|', ' '))"
)


def sql_text(text: str) -> str:
    """A standard SQL string literal: quotes doubled, nothing else special. The text has passed
    discovery's validation (no NUL or control characters), and both databases read backslashes
    in such a literal as themselves (PostgreSQL's standard_conforming_strings, on since 9.1)."""
    return "'" + text.replace("'", "''") + "'"


def fuzzy_words(text: str) -> bool:
    """Whether the text may match as a misspelling: words of letters and digits only."""
    return all(word.isalnum() for word in text.split())


def trigrams(text: str) -> list[str]:
    """The distinct three-character runs of each word of the text, lowercased, in order."""
    seen: dict[str, None] = {}
    for word in text.lower().split():
        for i in range(len(word) - 2):
            seen.setdefault(word[i : i + 3], None)
    return list(seen)


def match_sql(dialect: str, text: str) -> RawSQL | None:
    """SQL that is 1 for the rows the text matches beyond the literal substring match, or None
    when nothing more can match."""
    literal = sql_text(text)
    if dialect == "postgres":
        parts = [f"{_POSTGRES_DOCUMENT} @@ plainto_tsquery('simple'::regconfig, {literal})"]
        if fuzzy_words(text):
            parts.append(f"{literal} <% profiles.display_name")
        return RawSQL("CASE WHEN " + " OR ".join(parts) + " THEN 1 ELSE 0 END")
    grams = trigrams(text) if fuzzy_words(text) else []
    if not grams:
        return None
    needed = max(1, math.ceil(len(grams) * FUZZY_MIN_SHARE))
    found = " + ".join(f"(instr(lower(profiles.display_name), {sql_text(g)}) > 0)" for g in grams)
    candidates = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
    # The text reaches the SQL only through sql_text.
    search = "SELECT rowid FROM profile_search WHERE display_name MATCH " + sql_text(candidates)  # noqa: S608
    return RawSQL(
        f"CASE WHEN profiles.id IN ({search}) AND ({found}) >= {needed} THEN 1 ELSE 0 END"
    )


def score_sql(dialect: str, text: str) -> RawSQL:
    """The integer relevance of a row for the text (see the module's docstring)."""
    literal = sql_text(text)
    if dialect == "postgres":
        return RawSQL(
            "CAST(round(1000 * ("
            f"ts_rank({_POSTGRES_DOCUMENT}, plainto_tsquery('simple'::regconfig, {literal}))"
            f" + word_similarity({literal}, profiles.display_name)"
            f" + CASE WHEN strpos(lower(profiles.display_name), lower({literal})) > 0"
            " THEN 1 ELSE 0 END"
            ")) AS BIGINT)"
        )
    grams = trigrams(text)
    share = "0"
    if grams:
        found = " + ".join(
            f"(instr(lower(profiles.display_name), {sql_text(g)}) > 0)" for g in grams
        )
        share = f"(1000 * ({found})) / {len(grams)}"
    lowered = f"lower({literal})"
    return RawSQL(
        f"({share} + 1000 * (instr(lower(profiles.display_name), {lowered}) > 0)"
        f" + 500 * (instr(lower(coalesce(profiles.bio, '')), {lowered}) > 0))"
    )
