"""Searches stay fast while profiles are written (PostgreSQL only).

- The GIN indexes a search reads (the full-text document and the trigram indexes of 0012 and
  0013) stop deferring their entries to a pending list (``fastupdate = off``). With the default,
  every non-HOT update of a profile (a sync, a flush of view counts) appended its new entries to
  a list that each search then scanned in full until a vacuum merged it: after the profile reads
  of one benchmark run, an "Olivai Rossi" search cost 23 ms instead of 2.6 ms. Writes now pay
  for their entries when they happen, once. The lists already pending are merged here.
- ``profiles`` keeps a tenth of each page free (``fillfactor = 90``), so an update that changes
  no indexed column (the view counts, resolvers/profile_views.py) can stay on its page as a HOT
  update and add no index entries at all. Pages written after this migration get the space; a
  table rewrite (``VACUUM FULL profiles``) gives it to the existing ones.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

SEARCH_INDEXES = (
    "idx_profiles_search_document_stored",
    "idx_profiles_display_name_trgm",
    "idx_profiles_display_name_upper_trgm",
    "idx_profiles_bio_upper_trgm",
    "idx_profiles_niche_tags_trgm",
)

POSTGRES = [
    "ALTER TABLE profiles SET (fillfactor = 90)",
    *(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = off)" for index in SEARCH_INDEXES),
    *(
        f"SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = '{index}'"  # noqa: S608 (constants)
        for index in SEARCH_INDEXES
    ),
]


async def search_indexes_for_writes(apps: Any, schema_editor: Any) -> None:
    """PostgreSQL storage options: SQLite has neither GIN indexes nor fill factors."""
    if schema_editor.DIALECT == "postgres":
        for statement in POSTGRES:
            await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0013_discovery_at_scale")]

    initial = False

    operations = [ops.RunPython(search_indexes_for_writes)]
