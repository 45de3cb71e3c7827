"""Discovery at 100,000 profiles: what EXPLAIN ANALYZE of bench/explain_discovery.py asked for.

- PostgreSQL: the full-text document becomes a stored generated column with its GIN index, so a
  search neither recomputes ``to_tsvector`` to recheck each candidate nor to rank it (the
  expression index of 0012 served the match but not the rank). Adding the column rewrites
  ``profiles``: about 10 s at 100,000 profiles.
- PostgreSQL: pg_trgm's word-similarity operators priced as what they cost (below).
- Both: a partial index of the suspended users, so "the owner is not suspended" reads a handful
  of index entries instead of joining every profile to ``users``.
- PostgreSQL: ``(order column, id)`` indexes, the keyset of each discovery order, so a page is a
  range read of one index with no sort of the rows that tie on the column (SQLite's indexes end
  with the rowid already).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES = [
    "ALTER TABLE profiles ADD COLUMN IF NOT EXISTS search_document tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple'::regconfig, coalesce(display_name, '') || ' ' || coalesce(bio, '')"
    " || ' ' || replace(niche_tags, '|', ' '))) STORED",
    "CREATE INDEX IF NOT EXISTS idx_profiles_search_document_stored ON profiles"
    " USING gin (search_document)",
    "DROP INDEX IF EXISTS idx_profiles_search_document",
    *(
        f"CREATE INDEX IF NOT EXISTS idx_profiles_{column}_id ON profiles ({column}, id)"
        for column in ("rizz_score", "total_followers", "avg_engagement", "updated_at")
    ),
    "CREATE INDEX IF NOT EXISTS idx_profiles_growth_30d_id ON profiles (growth_30d, id)"
    " WHERE growth_30d IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS idx_users_suspended ON users (id) WHERE suspended",
    # pg_trgm declares its word-similarity operators as cheap as an integer comparison (COST
    # 1); they cost microseconds a row, so the planner scanned all of profiles for a misspelt
    # name (300 ms at 100,000 profiles) rather than read the few thousand the index finds.
    "DO $$ BEGIN"
    " ALTER FUNCTION word_similarity_op(text, text) COST 100;"
    " ALTER FUNCTION word_similarity_commutator_op(text, text) COST 100;"
    " EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE"
    " 'as a superuser: ALTER FUNCTION word_similarity_op(text, text) COST 100 (and"
    " word_similarity_commutator_op), for misspelt-name searches to use their index'; END $$",
    "ANALYZE profiles",
    "ANALYZE users",
]

SQLITE = [
    "CREATE INDEX IF NOT EXISTS idx_users_suspended ON users (id) WHERE suspended",
    "ANALYZE",
]


async def scale_discovery(apps: Any, schema_editor: Any) -> None:
    """Per-dialect DDL: the models cannot declare generated columns or partial indexes."""
    for statement in {"postgres": POSTGRES, "sqlite": SQLITE}.get(schema_editor.DIALECT, []):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0012_search_and_seed")]

    initial = False

    operations = [ops.RunPython(scale_discovery)]
