"""Relevance search and the indexes discovery's filters and orders need.

PostgreSQL: ``pg_trgm``; a GIN index on the full-text document of a profile (display name, bio and
niches, ``resolvers/relevance.py`` holds the same expression) and trigram indexes on the display
name and bio, which serve both the literal substring match and the misspelt-name match. SQLite: an
FTS5 table with the trigram tokenizer over the same text, kept in step by triggers; it holds the
display name between spaces, so a trigram can say "at the start (or end) of a word".
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS idx_profiles_search_document ON profiles USING gin ("
    "to_tsvector('simple'::regconfig, coalesce(display_name, '') || ' ' || coalesce(bio, '')"
    " || ' ' || replace(niche_tags, '|', ' ')))",
    "CREATE INDEX IF NOT EXISTS idx_profiles_display_name_trgm ON profiles"
    " USING gin (display_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS idx_profiles_display_name_upper_trgm ON profiles"
    " USING gin ((upper(display_name::varchar)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS idx_profiles_bio_upper_trgm ON profiles"
    " USING gin ((upper(bio::varchar)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS idx_profiles_niche_tags_trgm ON profiles"
    " USING gin ((niche_tags::varchar) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS idx_profiles_country_upper ON profiles ((upper(country::varchar)))",
    "CREATE INDEX IF NOT EXISTS idx_profiles_city_upper ON profiles ((upper(city::varchar)))",
    # A misspelt name matches when its word similarity to the display name reaches 0.35 (the
    # default, 0.6, misses a swapped pair of letters in a short name: "Jonh" is 0.4 of "John").
    # The `<%` operator reads the threshold from the session, so it is the database's default.
    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = 0.35',"
    " current_database()); EXCEPTION WHEN insufficient_privilege THEN"
    " RAISE NOTICE 'set pg_trgm.word_similarity_threshold = 0.35 for this database'; END $$",
]

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS profile_search USING fts5("
    "display_name, bio, niches, tokenize='trigram')",
    "INSERT INTO profile_search (rowid, display_name, bio, niches)"
    " SELECT id, ' ' || display_name || ' ', coalesce(bio, ''), replace(niche_tags, '|', ' ') FROM profiles",
    "CREATE TRIGGER IF NOT EXISTS profile_search_insert AFTER INSERT ON profiles BEGIN"
    " INSERT INTO profile_search (rowid, display_name, bio, niches) VALUES"
    " (new.id, ' ' || new.display_name || ' ', coalesce(new.bio, ''), replace(new.niche_tags, '|', ' ')); END",
    "CREATE TRIGGER IF NOT EXISTS profile_search_delete AFTER DELETE ON profiles BEGIN"
    " DELETE FROM profile_search WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS profile_search_update AFTER UPDATE OF display_name, bio,"
    " niche_tags ON profiles BEGIN DELETE FROM profile_search WHERE rowid = old.id;"
    " INSERT INTO profile_search (rowid, display_name, bio, niches) VALUES"
    " (new.id, ' ' || new.display_name || ' ', coalesce(new.bio, ''), replace(new.niche_tags, '|', ' ')); END",
    "CREATE INDEX IF NOT EXISTS idx_profiles_country_nocase ON profiles"
    " (upper(CAST(country AS VARCHAR)))",
    "CREATE INDEX IF NOT EXISTS idx_profiles_city_nocase ON profiles"
    " (upper(CAST(city AS VARCHAR)))",
]


# 0009 declared growth_30d with db_index, but adding a field does not create its index.
BOTH = ["CREATE INDEX IF NOT EXISTS idx_profiles_growth_30d ON profiles (growth_30d)"]


async def create_search(apps: Any, schema_editor: Any) -> None:
    """Per-dialect DDL: the models cannot declare extensions, expression or FTS5 indexes."""
    statements = {"postgres": POSTGRES, "sqlite": SQLITE}.get(schema_editor.DIALECT, [])
    for statement in [*statements, *BOTH]:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0011_oauth_binding_and_views")]

    initial = False

    operations = [ops.RunPython(create_search)]
