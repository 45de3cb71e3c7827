"""The floor for bench/read_paths.py and bench/peers.py: plain Starlette, one hand-written SQL
query per read, orjson.

It answers the same JSON as the GraphQL server for the benchmarks' documents (both scripts check
that before timing anything): read_paths.py's own queries on /profile, /discovery and /typename;
peers.py's trusted documents (schema/documents/, the same request bodies the GraphQL server gets)
on /doc/profile (ProfileById), /doc/discovery (DiscoveryPage, RIZZ_SCORE DESC) and /doc/search
(DiscoveryPage with a search, by relevance; PostgreSQL only). It reads the same database directly
(aiosqlite, or an asyncpg pool the size of Tortoise's), with the same uvicorn options as
``app.py serve``. What it does not do is the point of the comparison: no GraphQL parsing,
validation or execution, no ORM, no middleware.

    DATABASE_URL=sqlite:///tmp/x.sqlite3 PORT=8100 .venv/bin/python bench/baseline_app.py
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PLATFORMS = ("TIKTOK", "INSTAGRAM", "YOUTUBE", "TWITCH", "TWITTER")
# Tortoise's defaults: one SQLite connection; an asyncpg pool of 1..5.
PG_POOL_MAX = 5

_PROFILE_COLUMNS = """p.id, p.display_name, p.bio, p.avatar_url, p.niches, p.city, p.state,
    p.country, p.role, p.is_public, p.rizz_score, p.updated_at, p.total_followers,
    p.avg_engagement"""
_ACCOUNT_COLUMNS = "a.platform, a.followers, a.engagement, a.synced_at"
_VISIBLE = "p.is_public AND p.is_active AND NOT u.suspended"

PROFILE_SQL = f"""
SELECT {_PROFILE_COLUMNS}, {_ACCOUNT_COLUMNS}
FROM profiles p
JOIN users u ON u.id = p.user_id
LEFT JOIN social_accounts a ON a.profile_id = p.id
WHERE p.id = $1 AND {_VISIBLE}
"""  # noqa: S608 (constants only)

DISCOVERY_SQL = f"""
WITH page AS (
    SELECT {_PROFILE_COLUMNS}
    FROM profiles p
    JOIN users u ON u.id = p.user_id
    WHERE {_VISIBLE}
    ORDER BY p.rizz_score DESC, p.id DESC
    LIMIT $1
)
SELECT p.*, {_ACCOUNT_COLUMNS}
FROM page p
LEFT JOIN social_accounts a ON a.profile_id = p.id
ORDER BY p.rizz_score DESC, p.id DESC
"""  # noqa: S608 (constants only)

# DiscoveryPage (schema/documents/) ordered by RIZZ_SCORE DESC: the page and one more row, which
# says whether there is a next page; no accounts (the document shows none).
DOC_DISCOVERY_SQL = f"""
SELECT {_PROFILE_COLUMNS}
FROM profiles p
JOIN users u ON u.id = p.user_id
WHERE {_VISIBLE}
ORDER BY p.rizz_score DESC, p.id DESC
LIMIT $1
"""  # noqa: S608 (constants only)

# DiscoveryPage with a search, by relevance: resolvers/relevance.py's match and score written out
# by hand (PostgreSQL). $1 the text, $2 the LIKE pattern of the text, $3 the rows wanted, $4… the
# text's distinct lowercased words when they may be misspelt (each in the document or a misspelt
# part of the name). The document is the stored column where the schema has one (migration
# 0013), else the expression.
COMPUTED_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(profiles.display_name, '') || ' '"
    " || coalesce(profiles.bio, '') || ' ' || replace(profiles.niche_tags, '|', ' '))"
)
STORED_DOCUMENT = "profiles.search_document"
_SEARCH_SQL = f"""
SELECT {_PROFILE_COLUMNS.replace("p.", "profiles.")},
    CAST(round(1000 * (
        ts_rank({{document}}, plainto_tsquery('simple'::regconfig, $1::text))
        + word_similarity($1::text, profiles.display_name)
        + similarity($1::text, profiles.display_name)
        + CASE WHEN strpos(lower(profiles.display_name), lower($1::text)) > 0 THEN 1 ELSE 0 END
    )) AS BIGINT) AS relevance
FROM profiles
JOIN users u ON u.id = profiles.user_id
WHERE profiles.is_public AND profiles.is_active AND NOT u.suspended
  AND ({{match}}
       OR upper(profiles.display_name) LIKE upper($2) ESCAPE '\\'
       OR upper(profiles.bio) LIKE upper($2) ESCAPE '\\')
ORDER BY relevance DESC, profiles.id DESC
LIMIT $3
"""  # noqa: S608 (constants only; the text and its words are parameters)


def search_sql(document: str, words: int) -> str:
    """The search for a text of ``words`` distinct words that may be misspelt (0: it may not)."""
    if not words:
        match = f"{document} @@ plainto_tsquery('simple'::regconfig, $1::text)"
    else:
        match = " AND ".join(
            f"({document} @@ plainto_tsquery('simple'::regconfig, ${i}::text)"
            f" OR ${i}::text <% profiles.display_name)"
            for i in range(4, 4 + words)
        )
    return _SEARCH_SQL.format(document=document, match=f"({match})")


TYPENAME = orjson.dumps({"data": {"__typename": "Query"}})


def _sqlite(sql: str) -> str:
    return sql.replace("$1", "?")


def _datetime(value: Any) -> str:
    # asyncpg gives aware datetimes (UTC); Tortoise stores SQLite datetimes as isoformat(" ").
    if isinstance(value, str):
        return value.replace(" ", "T", 1)
    return value.isoformat()


def _global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def _profile_pk(global_id: object) -> int | None:
    if not isinstance(global_id, str):
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
        type_name, pk = raw.split(":", 1)
        number = int(pk)
    except ValueError:
        return None
    return number if type_name == "Profile" and 0 < number < 2**63 else None


# resolvers.discovery.profile_cursor: unpadded base64 of [field, direction, sort value, id]; older
# commits leave the direction out. read_paths.py tells which from the server's own cursors.
CURSOR_HAS_DIRECTION = os.environ.get("BASELINE_CURSOR_HAS_DIRECTION", "1") == "1"


def _cursor(rizz_score: int, pk: int, field: str = "RIZZ_SCORE") -> str:
    fields = [field, "DESC"] if CURSOR_HAS_DIRECTION else [field]
    raw = orjson.dumps([*fields, rizz_score, pk])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _group(rows: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """Rows of (profile columns..., account columns) → [(profile row, {platform: account})]."""
    out: list[tuple[Any, dict[str, Any]]] = []
    last_id = None
    for row in rows:
        if row[0] != last_id:
            last_id = row[0]
            out.append((row, {}))
        if row[14] is not None:
            out[-1][1][row[14]] = row
    return out


def _breakdown(accounts: dict[str, Any], with_time: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for platform in PLATFORMS:
        a = accounts.get(platform)
        if a is None:
            result[platform.lower()] = None
        elif with_time:
            result[platform.lower()] = {
                "platform": platform,
                "followers": a[15],
                "engagement": a[16],
                "syncedAt": _datetime(a[17]),
            }
        else:
            result[platform.lower()] = {"followers": a[15], "engagement": a[16]}
    return result


def _location(p: Any, full: bool) -> dict[str, Any] | None:
    if not (p[5] or p[6] or p[7]):
        return None
    if full:
        return {"city": p[5], "state": p[6], "country": p[7]}
    return {"city": p[5], "country": p[7]}


def profile_json(rows: list[Any]) -> bytes:
    """The response to read_paths.PROFILE_QUERY."""
    if not rows:
        return orjson.dumps({"data": {"profile": None}})
    p, accounts = _group(rows)[0]
    return orjson.dumps(
        {
            "data": {
                "profile": {
                    "id": _global_id("Profile", p[0]),
                    "displayName": p[1],
                    "bio": p[2],
                    "avatarUrl": p[3],
                    "niches": orjson.loads(p[4]) if p[4] else [],
                    "location": _location(p, full=True),
                    "role": p[8],
                    "isPublic": bool(p[9]),
                    "rizzScore": p[10],
                    "updatedAt": _datetime(p[11]),
                    "stats": {
                        "totalFollowers": p[12],
                        "avgEngagement": p[13],
                        "platformBreakdown": _breakdown(accounts, with_time=True),
                    },
                }
            }
        }
    )


def discovery_json(rows: list[Any], first: int) -> bytes:
    """The response to read_paths.DISCOVERY_QUERY."""
    grouped = _group(rows)
    page = grouped[:first]
    edges = [
        {
            "cursor": _cursor(p[10], p[0]),
            "node": {
                "id": _global_id("Profile", p[0]),
                "displayName": p[1],
                "avatarUrl": p[3],
                "niches": orjson.loads(p[4]) if p[4] else [],
                "location": _location(p, full=False),
                "role": p[8],
                "rizzScore": p[10],
                "stats": {
                    "totalFollowers": p[12],
                    "avgEngagement": p[13],
                    "platformBreakdown": _breakdown(accounts, with_time=False),
                },
            },
        }
        for p, accounts in page
    ]
    return orjson.dumps(
        {
            "data": {
                "profiles": {
                    "edges": edges,
                    "pageInfo": {
                        "hasNextPage": len(grouped) > first,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                }
            }
        }
    )


def doc_profile_json(rows: list[Any]) -> bytes:
    """The response to schema/documents/ProfileById.graphql."""
    if not rows:
        return orjson.dumps({"data": {"profile": None}})
    p, accounts = _group(rows)[0]
    breakdown = _breakdown(accounts, with_time=False)
    return orjson.dumps(
        {
            "data": {
                "profile": {
                    "id": _global_id("Profile", p[0]),
                    "displayName": p[1],
                    "bio": p[2],
                    "avatarUrl": p[3],
                    "niches": orjson.loads(p[4]) if p[4] else [],
                    "location": _location(p, full=True),
                    "role": p[8],
                    "rizzScore": p[10],
                    "stats": {
                        "totalFollowers": p[12],
                        "avgEngagement": p[13],
                        "platformBreakdown": {
                            k: breakdown[k] for k in ("tiktok", "instagram", "youtube")
                        },
                    },
                }
            }
        }
    )


def doc_page_json(rows: list[Any], first: int, field: str) -> bytes:
    """The response to schema/documents/DiscoveryPage.graphql: rows of profile columns, plus
    the relevance as a 15th column when ``field`` is RELEVANCE."""
    page = rows[:first]
    edges = [
        {
            "cursor": _cursor(p[14] if field == "RELEVANCE" else p[10], p[0], field),
            "node": {
                "id": _global_id("Profile", p[0]),
                "displayName": p[1],
                "avatarUrl": p[3],
                "niches": orjson.loads(p[4]) if p[4] else [],
                "location": _location(p, full=False),
                "rizzScore": p[10],
                "stats": {"totalFollowers": p[12], "avgEngagement": p[13]},
            },
        }
        for p in page
    ]
    return orjson.dumps(
        {
            "data": {
                "profiles": {
                    "edges": edges,
                    "pageInfo": {
                        "hasNextPage": len(rows) > first,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                }
            }
        }
    )


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped (as Tortoise's icontains does)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Database:
    """``fetch(sql, arg)`` over one aiosqlite connection or an asyncpg pool."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        self.fetch: Callable[..., Any]

    async def open(self) -> None:
        if self.postgres:
            import asyncpg

            dsn = "postgresql://" + self.url.split("://", 1)[1]
            self._pool = await asyncpg.create_pool(dsn, min_size=1, max_size=PG_POOL_MAX)
            self.profile_sql, self.discovery_sql = PROFILE_SQL, DISCOVERY_SQL
            self.doc_discovery_sql = DOC_DISCOVERY_SQL
            stored = await self._pool.fetchval(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'profiles' AND column_name = 'search_document'"
            )
            document = STORED_DOCUMENT if stored else COMPUTED_DOCUMENT
            self.search_sql = functools.cache(functools.partial(search_sql, document))
            self.fetch = self._pool.fetch
        else:
            import aiosqlite

            self._conn = await aiosqlite.connect(self.url.removeprefix("sqlite://"))
            for pragma in ("journal_mode=WAL", "foreign_keys=ON"):
                await self._conn.execute(f"PRAGMA {pragma}")
            self.profile_sql, self.discovery_sql = _sqlite(PROFILE_SQL), _sqlite(DISCOVERY_SQL)
            self.doc_discovery_sql = _sqlite(DOC_DISCOVERY_SQL)
            self.fetch = self._sqlite_fetch

    async def _sqlite_fetch(self, sql: str, *args: Any) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, args))

    async def close(self) -> None:
        if self.postgres:
            await self._pool.close()
        else:
            await self._conn.close()


def create_app(database_url: str) -> Starlette:
    db = Database(database_url)

    async def profile(request: Request) -> Response:
        body = orjson.loads(await request.body())
        pk = _profile_pk(body["variables"]["id"])
        rows = await db.fetch(db.profile_sql, pk) if pk is not None else []
        return Response(profile_json(rows), media_type="application/json")

    async def discovery(request: Request) -> Response:
        body = orjson.loads(await request.body())
        first = int(body["variables"]["first"])
        rows = await db.fetch(db.discovery_sql, first + 1)
        return Response(discovery_json(rows, first), media_type="application/json")

    async def doc_profile(request: Request) -> Response:
        body = orjson.loads(await request.body())
        pk = _profile_pk(body["variables"]["id"])
        rows = await db.fetch(db.profile_sql, pk) if pk is not None else []
        return Response(doc_profile_json(rows), media_type="application/json")

    async def doc_discovery(request: Request) -> Response:
        variables = orjson.loads(await request.body())["variables"]
        if variables.get("orderBy") != {"field": "RIZZ_SCORE", "direction": "DESC"}:
            return Response(b"only RIZZ_SCORE DESC", status_code=400)
        first = int(variables["first"])
        rows = await db.fetch(db.doc_discovery_sql, first + 1)
        return Response(doc_page_json(rows, first, "RIZZ_SCORE"), media_type="application/json")

    async def doc_search(request: Request) -> Response:
        variables = orjson.loads(await request.body())["variables"]
        if not db.postgres or variables.get("orderBy") is not None:
            return Response(b"PostgreSQL, by relevance only", status_code=400)
        text = variables["filter"]["search"].strip()
        first = int(variables["first"])
        words = list(dict.fromkeys(text.lower().split()))
        if not all(word.isalnum() for word in words):
            words = []
        sql = db.search_sql(len(words))
        rows = await db.fetch(sql, text, like_pattern(text), first + 1, *words)
        return Response(doc_page_json(rows, first, "RELEVANCE"), media_type="application/json")

    async def typename(request: Request) -> Response:
        orjson.loads(await request.body())
        return Response(TYPENAME, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.open()
        try:
            yield
        finally:
            await db.close()

    return Starlette(
        routes=[
            Route("/profile", profile, methods=["POST"]),
            Route("/discovery", discovery, methods=["POST"]),
            Route("/typename", typename, methods=["POST"]),
            Route("/doc/profile", doc_profile, methods=["POST"]),
            Route("/doc/discovery", doc_discovery, methods=["POST"]),
            Route("/doc/search", doc_search, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    # The same uvicorn options as `app.py serve` (access log included), so the ratio measures
    # what lies between uvicorn and the database: GraphQL, the ORM and the middleware.
    uvicorn.run(
        create_app(os.environ["DATABASE_URL"]),
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        proxy_headers=True,
        log_level="info",
    )


if __name__ == "__main__":
    main()
