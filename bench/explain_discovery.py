"""Prints the plan (EXPLAIN) of every documented discovery filter and order, and flags any
sequential scan of ``profiles``.

    DATABASE_URL=postgres://… .venv/bin/python bench/explain_discovery.py [--analyze]

Run it on a seeded database (``app.py seed --profiles 100000``): on a nearly empty table the
planner rightly prefers a sequential scan, and the flags mean nothing. It reads only; the queries
are the server's own (``resolvers.discovery.discovery_page``), each with the first page's limit.
Exit status 1 when any plan scans ``profiles`` sequentially.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import Tortoise, connections

from models import Platform, Role
from resolvers.cursors import PAGE_DEFAULT
from resolvers.discovery import (
    OrderDirection,
    ProfileFilter,
    ProfileOrder,
    ProfileOrderField,
    discovery_page,
    search_profiles,
)
from settings import tortoise_config

FILTERS: dict[str, ProfileFilter] = {
    "no filter": ProfileFilter(),
    "search (words)": ProfileFilter(search="travel food"),
    "search (misspelt name)": ProfileFilter(search="Jonh"),
    "search (misspelt full name)": ProfileFilter(search="Olivai Rossi"),
    "search (punctuation)": ProfileFilter(search="100%"),
    "niches": ProfileFilter(niches=["fitness", "travel"]),
    "platforms": ProfileFilter(platforms=[Platform.TWITCH]),
    "role": ProfileFilter(role=Role.BRAND),
    "followers range": ProfileFilter(min_followers=10_000, max_followers=50_000),
    "min engagement": ProfileFilter(min_engagement=8.0),
    "country": ProfileFilter(country="japan"),
    "city": ProfileFilter(city="lagos"),
    "min growth 30d": ProfileFilter(min_growth_30d=5.0),
}
ORDERS = [ProfileOrder(field, direction) for field in ProfileOrderField
          if field is not ProfileOrderField.RELEVANCE for direction in OrderDirection]  # fmt: skip


Case = tuple[str, ProfileFilter, ProfileOrder | None, bool]


def cases() -> list[Case]:
    """Each filter in the default order (relevance with a search), then each order alone, on
    the first page and on the second (after the first page's cursor: a range read)."""
    listed: list[Case] = [(name, f, None, False) for name, f in FILTERS.items()]
    for o in ORDERS:
        for second in (False, True):
            page = "page 2" if second else "page 1"
            listed.append(
                (f"order {o.field.value} {o.direction.value}, {page}", ProfileFilter(), o, second)
            )
    relevance = ProfileOrder(ProfileOrderField.RELEVANCE)
    listed.append(
        (
            "search (misspelt full name), page 2",
            FILTERS["search (misspelt full name)"],
            relevance,
            True,
        )
    )
    return listed


async def explain(analyze: bool) -> int:
    client = connections.get("default")
    flagged: list[str] = []
    for name, f, order, second in cases():
        after = None
        if second:  # the first page's end cursor, from the server's own read
            after = (await search_profiles(f, order, PAGE_DEFAULT, None)).cursors[-1:] or [None]
            after = after[0]
        sql, params = discovery_page(f, order, PAGE_DEFAULT, after).sql()
        verb = "EXPLAIN (ANALYZE, BUFFERS)" if analyze else "EXPLAIN"
        _, rows = await client.execute_query(f"{verb} {sql}", params)
        plan = [row["QUERY PLAN"] for row in rows]
        seq = any("Seq Scan on profiles" in line for line in plan)
        print(f"== {name}{'   <-- SEQUENTIAL SCAN OF profiles' if seq else ''}")
        print("\n".join(plan), end="\n\n")
        if seq:
            flagged.append(name)
    print("sequential scans of profiles:", ", ".join(flagged) if flagged else "none")
    return 1 if flagged else 0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyze", action="store_true", help="EXPLAIN ANALYZE: runs each query")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a seeded PostgreSQL database.")
    await Tortoise.init(config=tortoise_config(url))
    try:
        return await explain(args.analyze)
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
