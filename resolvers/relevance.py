"""Relevance for discovery's ``search``: which profiles a search text matches, and how well.

A profile matches when the text is in its display name or bio (literally, ignoring case: the
filter discovery always had), when it is a misspelling of words of the display name, or (on
PostgreSQL) when its full-text document holds every word of the text. On PostgreSQL the last two
combine word by word: each word of the text is in the document or a misspelling of a word of
the display name ("Olivai Rossi" finds Olivia Rossi, not every Rossi).

The score is an integer, so a cursor can hold it exactly and the keyset ``(score, id)`` pages
without repeats; for one text and one row it is always the same:

- PostgreSQL: 1000 × (ts_rank of the document, display name + bio + niches, for the text's
  words + word_similarity of the text to the display name + similarity of the two + 1 if the
  display name holds the text), rounded. ``word_similarity`` scores the best-matching part of
  the name, so alone it ranks "Luca Hernández" no higher than a longer name that holds it for
  "Luac Hernández"; the whole-name ``similarity`` puts Luca first.
- SQLite: 1000 × (the share of the text's bigrams found in the display name + 1 if the display
  name holds the text) + 500 if the bio holds it.

A misspelling matches on words of letters and digits only: text with punctuation (handles,
``%``, ``_``) matches literally, as it always did. PostgreSQL calls a word of the text a
misspelt part of the name when their ``word_similarity`` reaches 0.35 (the migration sets it as
``pg_trgm``'s threshold); SQLite when the name shares a trigram with the text (the FTS5 index
finds those) and at least 40% of the text's bigrams (two-letter runs of each word between
spaces, ignoring case) are in the name: "Jonh" has " j", "jo", "on", "nh", "h ", and " john "
holds two of the five.
"""

from __future__ import annotations

import math

from tortoise.expressions import RawSQL

FUZZY_MIN_SHARE = 0.4
# Far above any score either formula gives, to refuse cursors that no row could have made.
RELEVANCE_MAX = 1_000_000
# display name + bio + niches as a tsvector: a stored generated column (migration 0013).
_POSTGRES_DOCUMENT = "profiles.search_document"


def sql_text(text: str) -> str:
    """A standard SQL string literal: quotes doubled, nothing else special. The text has passed
    discovery's validation (no NUL or control characters), and both databases read backslashes
    in such a literal as themselves (PostgreSQL's standard_conforming_strings, on since 9.1)."""
    return "'" + text.replace("'", "''") + "'"


def fuzzy_words(text: str) -> bool:
    """Whether the text may match as a misspelling: words of letters and digits only."""
    return all(word.isalnum() for word in text.split())


def grams(text: str, size: int) -> list[str]:
    """The distinct runs of ``size`` characters of each word of the text, lowercased, with the
    word between spaces (so " jo" says "a word starting jo"), in order."""
    seen: dict[str, None] = {}
    for word in text.lower().split():
        padded = f" {word} "
        for i in range(len(padded) - size + 1):
            seen.setdefault(padded[i : i + size], None)
    return list(seen)


def _sqlite_share(text: str) -> tuple[str, int]:
    """SQL counting the text's bigrams found in the display name (between spaces), and how
    many bigrams the text has."""
    pairs = grams(text, 2)
    name = "(' ' || lower(profiles.display_name) || ' ')"
    found = " + ".join(f"(instr({name}, {sql_text(g)}) > 0)" for g in pairs) or "0"
    return found, len(pairs)


def like_pattern(text: str) -> str:
    """SQL for a LIKE pattern (with ``ESCAPE '\\'``) that holds the text literally, anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sql_text(f"%{escaped}%")


def sqlite_match_sql(text: str) -> RawSQL | None:
    """SQLite: SQL that is 1 for the rows the text matches beyond the literal substring match
    (a misspelt name), or None when nothing more can match."""
    if not fuzzy_words(text):
        return None
    # Candidates from the FTS5 index: names sharing a trigram with the text; then the share of
    # the text's bigrams decides, which a swapped pair of letters does not sink.
    candidates = " OR ".join(f'"{g}"' for g in grams(text, 3))
    found, total = _sqlite_share(text)
    needed = max(1, math.ceil(total * FUZZY_MIN_SHARE))
    # The text reaches the SQL only through sql_text.
    search = "SELECT rowid FROM profile_search WHERE display_name MATCH " + sql_text(candidates)  # noqa: S608
    return RawSQL(
        f"CASE WHEN profiles.id IN ({search}) AND ({found}) >= {needed} THEN 1 ELSE 0 END"
    )


def postgres_search_sql(text: str) -> RawSQL:
    """PostgreSQL: the whole match, the literal substring included, as one flat OR. Flat, so
    the planner sees the very condition its BitmapOr of indexes rechecks and evaluates it once
    per candidate, not once more as a filter; the cheap, likely branches first, the bio's LIKE
    (an upper() of the whole bio) last. The LIKEs are written as Tortoise's icontains writes
    them, which is what the expression indexes of migration 0012 serve.

    A text of words matches word by word: every word is in the document (as the full-text
    branch asks of them all) or a misspelling of a word of the display name. Word by word,
    because the whole text's word similarity to a name is reached by any one of its words:
    "Olivai Rossi" made every Rossi a candidate (2,600 of 100,000 seeded profiles, each
    ranked: 45 ms), where the BitmapAnd of the words' index scans leaves the Olivia Rossis."""
    pattern = like_pattern(text)
    branches = []
    if fuzzy_words(text):
        # Written as the index condition is (%>, the commutator of <%), so the planner sees
        # each word's branch already checked by its index scan, and drops it from the filter.
        words = [
            f"({_POSTGRES_DOCUMENT} @@ plainto_tsquery('simple'::regconfig, {sql_text(word)})"
            f" OR profiles.display_name %> {sql_text(word)})"
            for word in dict.fromkeys(text.lower().split())
        ]
        if words:
            branches.append("(" + " AND ".join(words) + ")")
    else:
        document = f"plainto_tsquery('simple'::regconfig, {sql_text(text)})"
        branches.append(f"{_POSTGRES_DOCUMENT} @@ {document}")
    branches += [
        f"UPPER(CAST(profiles.display_name AS VARCHAR)) LIKE UPPER({pattern}) ESCAPE '\\'",
        f"UPPER(CAST(profiles.bio AS VARCHAR)) LIKE UPPER({pattern}) ESCAPE '\\'",
    ]
    return RawSQL("(" + " OR ".join(branches) + ")")


def score_sql(dialect: str, text: str) -> RawSQL:
    """The integer relevance of a row for the text (see the module's docstring)."""
    literal = sql_text(text)
    if dialect == "postgres":
        return RawSQL(
            "CAST(round(1000 * ("
            f"ts_rank({_POSTGRES_DOCUMENT}, plainto_tsquery('simple'::regconfig, {literal}))"
            f" + word_similarity({literal}, profiles.display_name)"
            f" + similarity({literal}, profiles.display_name)"
            f" + CASE WHEN strpos(lower(profiles.display_name), lower({literal})) > 0"
            " THEN 1 ELSE 0 END"
            ")) AS BIGINT)"
        )
    found, total = _sqlite_share(text)
    share = f"(1000 * ({found})) / {total}" if total else "0"
    lowered = f"lower({literal})"
    return RawSQL(
        f"({share} + 1000 * (instr(lower(profiles.display_name), {lowered}) > 0)"
        f" + 500 * (instr(lower(coalesce(profiles.bio, '')), {lowered}) > 0))"
    )
