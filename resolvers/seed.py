"""Demo data: ``python app.py seed --profiles N`` fills the database with realistic profiles.

Each profile gets a user (with an unusable password: nobody signs in as a seeded user), a name,
a bio, niches, a country and city, one to five platforms with long-tail follower counts, and
up to 90 days of history (snapshots 15, 30, 60 and 90 days before the last sync). The aggregates are
computed by ``resolvers/aggregates.py``, the one formula. The same ``seed`` gives the same data.

Each account grows (or shrinks) at a daily rate of its own — most slowly, a few breaking out,
some declining — and its history is that curve with a little noise, ending at its current
numbers. The stored 30-day growth (``growth_30d``, what discovery's ``GROWTH_30D`` order and
``minGrowth30d`` filter read) is computed from those very snapshots by ``resolvers/growth.py``'s
rule, so it is what a sync would have stored and what the growth fields answer.

Rows go in with ids assigned here (after the largest already taken) so children can name their
parents without reading anything back: on PostgreSQL one binary COPY per table and batch, on
SQLite multi-row INSERTs of a few thousand rows each; on PostgreSQL the id sequences are moved
past them at the end. That is what makes 100,000 profiles take seconds rather than the minutes
one ORM save per row would. The batches (BATCH_PROFILES profiles each) are generated in a
worker thread one ahead of the writes, so Python's work overlaps the database's.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from adapters.platforms.engagement import round_rate
from models import Platform, Profile, Role, SocialAccount, StatsSnapshot, SyncSource, User
from resolvers.aggregates import (
    average_engagement,
    profile_completeness,
    rizz_score,
    total_followers,
)
from resolvers.growth import Ends, GrowthWindow, Point, cutoff_of, profile_growth
from resolvers.profiles import CollaborationType, niche_tags

# A password hash no hasher produces and none verifies: seeded users cannot sign in.
UNUSABLE_PASSWORD = "!seeded"  # noqa: S105 (not a password: a hash nothing verifies)
HISTORY_DAYS = 90
# Days before the last sync of each snapshot: fortnightly over the last month, monthly before
# (a baseline for each growth window, and few enough rows to seed 100,000 profiles quickly).
HISTORY_DAYS_BACK = (15, 30, 60, 90)
FULL_HISTORY_SHARE = 0.5  # the rest joined the platform less than 90 days ago
FOLLOWERS_CAP = 300_000_000
# Most profiles have one or two platforms; a few have all five.
PLATFORM_COUNT_WEIGHTS = (40, 30, 15, 10, 5)
BRAND_SHARE = 0.15
# Small enough that writing the first batch starts soon, large enough that its statements are few.
BATCH_PROFILES = 5_000
PARAMETERS_PER_STATEMENT = 30_000  # under SQLite's limit on bound parameters

FIRST_NAMES = [
    "John",
    "Maria",
    "Ana",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Aarav",
    "Priya",
    "Kenji",
    "Yuki",
    "Amara",
    "Chidi",
    "Fatima",
    "Omar",
    "Leila",
    "Hannah",
    "Jonas",
    "Elena",
    "Luca",
    "Giulia",
    "Pierre",
    "Camille",
    "Sven",
    "Ingrid",
    "Diego",
    "Valentina",
    "Tomás",
    "Isabela",
    "Wei",
    "Mei",
    "Hiroshi",
    "Sakura",
    "Kwame",
    "Zanele",
    "Ravi",
    "Ananya",
    "Jack",
    "Grace",
    "Ethan",
    "Chloe",
    "Daniel",
    "Sara",
    "Ahmed",
    "Nadia",
]
LAST_NAMES = [
    "Smith",
    "Garcia",
    "Silva",
    "Müller",
    "Rossi",
    "Dubois",
    "Kim",
    "Nguyen",
    "Tanaka",
    "Okafor",
    "Mensah",
    "Patel",
    "Sharma",
    "Cohen",
    "Johansson",
    "Novak",
    "Kowalski",
    "Hernández",
    "Lopez",
    "Martin",
    "Brown",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
]
BRAND_WORDS = [
    "Studio",
    "Labs",
    "Co",
    "Goods",
    "Collective",
    "Works",
    "Supply",
    "House",
    "Outfitters",
    "Kitchen",
    "Athletics",
    "Beauty",
    "Tech",
]
NICHES = [
    "fitness",
    "travel",
    "food",
    "fashion",
    "beauty",
    "gaming",
    "tech",
    "music",
    "comedy",
    "education",
    "finance",
    "parenting",
    "pets",
    "diy",
    "art",
    "photography",
    "sports",
    "wellness",
    "books",
    "cars",
    "home",
    "outdoors",
    "dance",
    "science",
]
PLACES = {
    "United States": ("New York", "Los Angeles", "Chicago", "Austin", "Miami"),
    "United Kingdom": ("London", "Manchester", "Bristol", "Edinburgh"),
    "Germany": ("Berlin", "Munich", "Hamburg", "Cologne"),
    "France": ("Paris", "Lyon", "Marseille"),
    "Brazil": ("São Paulo", "Rio de Janeiro", "Belo Horizonte"),
    "India": ("Mumbai", "Delhi", "Bengaluru", "Chennai"),
    "Japan": ("Tokyo", "Osaka", "Kyoto"),
    "Nigeria": ("Lagos", "Abuja"),
    "Mexico": ("Mexico City", "Guadalajara", "Monterrey"),
    "Spain": ("Madrid", "Barcelona", "Valencia"),
    "Canada": ("Toronto", "Vancouver", "Montreal"),
    "Australia": ("Sydney", "Melbourne", "Brisbane"),
}
BIO_OPENINGS = (
    "Sharing my {a} journey and everything {b}.",
    "{A} creator. Weekly videos about {b} and {a}.",
    "Making {a} simple for everyone. Collabs welcome.",
    "Full-time {a} enthusiast, part-time {b} nerd.",
    "We make {a} products people love, with a touch of {b}.",
)


@dataclass(frozen=True, slots=True)
class SeedCounts:
    users: int
    profiles: int
    accounts: int
    snapshots: int


@dataclass(slots=True)
class _Rows:
    users: list[tuple[Any, ...]]
    profiles: list[tuple[Any, ...]]
    accounts: list[tuple[Any, ...]]
    snapshots: list[tuple[Any, ...]]


async def seed(profiles: int, seed_value: int, now: datetime | None = None) -> SeedCounts:
    """Inserts ``profiles`` profiles (with their users, accounts and history) in one
    transaction, and returns how many rows of each kind it inserted."""
    now = now or datetime.now(UTC)
    client = connections.get("default")
    dialect = str(client.capabilities.dialect)
    write = _copy if dialect == "postgres" else _insert
    counts = SeedCounts(0, 0, 0, 0)
    async with in_transaction() as connection:
        starts = [await _next_id(connection, m._meta.db_table) for m in _MODELS]
        batches = _generate(profiles, random.Random(seed_value), now, starts)  # noqa: S311 (demo data)
        # The next batch is generated in a thread while the database takes this one: Python's
        # share (a third of the time at 100,000 profiles) then hides behind the database's.
        following = _generated_next(batches)
        try:
            while (rows := await following) is not None:
                following = _generated_next(batches)
                await _write(connection, write, rows)
                counts = _tally(counts, rows)
        finally:
            # Not to leave the thread generating after a failed write.
            await following
        if dialect == "postgres":
            for model in _MODELS:
                table = model._meta.db_table
                # The table names are the models' own, not input.
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                await connection.execute_script(
                    f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"  # noqa: S608
                )
    # Fresh statistics: until autovacuum gets to it, the planner takes the tables for the near
    # empty ones they were, and serves a search or a platform filter by scanning everything.
    tables = ", ".join(m._meta.db_table for m in _MODELS)
    await client.execute_script(f"ANALYZE {tables}" if dialect == "postgres" else "ANALYZE")
    return counts


_MODELS = (User, Profile, SocialAccount, StatsSnapshot)
# How a batch's rows of one table go in: _copy on PostgreSQL, _insert on SQLite.
_Writer = Callable[
    [BaseDBAsyncClient, str, Sequence[str], Sequence[tuple[Any, ...]]], Awaitable[None]
]
_USER_COLUMNS = [
    "id",
    "email",
    "password_hash",
    "role",
    "email_verified",
    "suspended",
    "created_at",
    "updated_at",
]
_PROFILE_COLUMNS = [
    "id",
    "user_id",
    "role",
    "display_name",
    "bio",
    "niches",
    "niche_tags",
    "city",
    "country",
    "preferences",
    "is_public",
    "is_active",
    "total_followers",
    "avg_engagement",
    "rizz_score",
    "growth_30d",
    "growth_30d_at",
    "created_at",
    "updated_at",
]
_ACCOUNT_COLUMNS = [
    "id",
    "profile_id",
    "platform",
    "handle",
    "followers",
    "engagement",
    "source",
    "state",
    "synced_at",
    "created_at",
    "refresh_priority",
]
_SNAPSHOT_COLUMNS = ["id", "account_id", "followers", "engagement", "source", "taken_at"]


async def _next_id(connection: BaseDBAsyncClient, table: str) -> int:
    _, rows = await connection.execute_query(f"SELECT max(id) AS top FROM {table}")  # noqa: S608
    top = rows[0]["top"] if rows else None
    return int(top or 0) + 1


def _generated_next(batches: Iterator[_Rows]) -> asyncio.Task[_Rows | None]:
    """The next batch (None after the last), generated in a worker thread."""
    return asyncio.create_task(asyncio.to_thread(next, batches, None))


async def _write(connection: BaseDBAsyncClient, write: _Writer, rows: _Rows) -> None:
    """One batch, parents before children (the foreign keys are checked row by row)."""
    for model, columns, table_rows in (
        (User, _USER_COLUMNS, rows.users),
        (Profile, _PROFILE_COLUMNS, rows.profiles),
        (SocialAccount, _ACCOUNT_COLUMNS, rows.accounts),
        (StatsSnapshot, _SNAPSHOT_COLUMNS, rows.snapshots),
    ):
        columns, table_rows = _with_defaults(model, columns, table_rows)
        await write(connection, model._meta.db_table, columns, table_rows)


def _tally(counts: SeedCounts, rows: _Rows) -> SeedCounts:
    return SeedCounts(
        counts.users + len(rows.users),
        counts.profiles + len(rows.profiles),
        counts.accounts + len(rows.accounts),
        counts.snapshots + len(rows.snapshots),
    )


def _with_defaults(
    model: type[Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Adds every column the seed does not name but the model gives a plain default (a later
    migration's counters, say), so a raw insert never trips over a NOT NULL column that
    Tortoise, not the database, fills in."""
    extra: list[tuple[str, Any]] = []
    for name, field in model._meta.fields_map.items():
        column = getattr(field, "source_field", None) or name
        default = field.default
        if column in columns or field.null or default is None or callable(default):
            continue
        if field.pk or getattr(field, "reference", None) is not None:
            continue
        extra.append((column, default))
    if not extra:
        return list(columns), list(rows)
    values = tuple(v for _, v in extra)
    return [*columns, *(c for c, _ in extra)], [(*row, *values) for row in rows]


async def _insert(
    connection: BaseDBAsyncClient,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """SQLite: multi-row INSERTs, as many rows each as its limit on bound parameters allows."""
    per_statement = max(1, PARAMETERS_PER_STATEMENT // len(columns))
    group = "(" + ", ".join("?" * len(columns)) + ")"
    names = ", ".join(columns)
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        values = ", ".join(group for _ in batch)
        params = [value for row in batch for value in row]
        await connection.execute_query(f"INSERT INTO {table} ({names}) VALUES {values}", params)  # noqa: S608


async def _copy(
    connection: BaseDBAsyncClient,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """PostgreSQL: one binary COPY on the transaction's own asyncpg connection. It takes the
    values as the INSERTs' parameters would (the same codecs, JSON as its text) and parses
    and plans nothing per batch, about twice as fast as multi-row INSERTs at 100,000
    profiles."""
    async with connection.acquire_connection() as raw:
        await raw.copy_records_to_table(table, records=rows, columns=list(columns))


# Looked up once rather than per row: an enum's value and members are properties.
_COUNTRIES = list(PLACES)
_PLATFORMS = list(Platform)
_MANUAL = SyncSource.MANUAL.value


def _generate(
    count: int, rng: random.Random, now: datetime, starts: Sequence[int]
) -> Iterator[_Rows]:
    """The rows, BATCH_PROFILES profiles' worth at a time: Python's datetime and bool go to both
    databases as they are (Tortoise registers SQLite's adapters), JSON as its text. The batches
    draw from ``rng`` in the same order whatever their size, so they split the same data."""
    user_id, profile_id, account_id, snapshot_id = starts
    rows = _Rows([], [], [], [])
    cutoff = cutoff_of(GrowthWindow.DAYS_30, now)
    # Every seeded profile has a name, a bio, niches, a place and a platform, and no avatar.
    completeness = profile_completeness(
        Profile(display_name="n", bio="b", niches=["n"], country="c"), True
    )
    for n in range(count):
        if n and n % BATCH_PROFILES == 0:
            yield rows
            rows = _Rows([], [], [], [])
        role = Role.BRAND if rng.random() < BRAND_SHARE else Role.CREATOR
        niches = rng.sample(NICHES, rng.randint(1, 3))
        country = rng.choice(_COUNTRIES)
        city = rng.choice(PLACES[country])
        name = _name(rng, role, niches)
        bio = _bio(rng, niches)
        preferences = _preferences(rng, country, city) if role is Role.BRAND else {}
        uid, pid = user_id + n, profile_id + n
        rows.users.append(
            (uid, f"demo{uid}@creatorgraph.test", UNUSABLE_PASSWORD, role.value, True,
             False, now, now)
        )  # fmt: skip
        platforms = rng.sample(_PLATFORMS, _platform_count(rng))
        accounts: list[tuple[int, float | None, datetime]] = []
        ends: list[Ends | None] = []
        for platform in platforms:
            followers = min(FOLLOWERS_CAP, int(rng.lognormvariate(8.0, 2.2)))
            engagement = None if rng.random() < 0.1 else round_rate(rng.uniform(0.2, 12.0))
            synced = now - timedelta(days=rng.uniform(0, 30))
            accounts.append((followers, engagement, synced))
            aid = account_id
            account_id += 1
            rows.accounts.append(
                (aid, pid, platform.value, f"{name.split()[0].lower()}{pid}", followers,
                 engagement, _MANUAL, "READY", synced, now, 1)
            )  # fmt: skip
            # Oldest first: growth.py takes a higher id for a later snapshot.
            history = _history(rng, Point(followers, engagement, synced))
            for point in history:
                rows.snapshots.append(
                    (snapshot_id, aid, point.followers, point.engagement, _MANUAL,
                     point.taken_at)
                )  # fmt: skip
                snapshot_id += 1
            ends.append(_ends(history, cutoff))
        total = total_followers(a[0] for a in accounts)
        average = average_engagement(a[1] for a in accounts)
        last_sync = max(a[2] for a in accounts)
        growth = profile_growth(ends, cutoff)
        # Joined before the oldest snapshot; last changed at the last sync (as a sync leaves it).
        joined = now - timedelta(days=HISTORY_DAYS + 30 + rng.uniform(0, 300))
        rows.profiles.append(
            (pid, uid, role.value, name, bio, _json(niches), niche_tags(niches), city, country,
             _json(preferences), True, True, total, average,
             rizz_score(total, average, completeness, last_sync, now),
             None if growth is None else growth.followers_percent, now, joined, last_sync)
        )  # fmt: skip
    yield rows


def _history(rng: random.Random, latest: Point) -> list[Point]:
    """An account's snapshots, oldest first, ending at ``latest`` (its current numbers): back
    from it HISTORY_DAYS_BACK, over 90 days or a shorter span for a newer account, along the
    account's own daily growth rate with half a percent of noise; engagement drifts by up to
    half a point (whole hundredths, so already rounded as round_rate would)."""
    span = HISTORY_DAYS if rng.random() < FULL_HISTORY_SHARE else rng.randint(0, HISTORY_DAYS - 1)
    rate = _daily_rate(rng)
    cents = None if latest.engagement is None else round(latest.engagement * 100)
    points = [latest]
    for days in HISTORY_DAYS_BACK:
        if days > span:
            break
        followers = latest.followers / (1 + rate) ** days * rng.gauss(1, 0.005)
        engagement = None if cents is None else max(0, cents + rng.randint(-50, 50)) / 100
        points.append(
            Point(
                min(FOLLOWERS_CAP, max(0, int(followers))),
                engagement,
                latest.taken_at - timedelta(days=days),
            )
        )
    return points[::-1]


def _daily_rate(rng: random.Random) -> float:
    """Follower growth per day: most accounts creep up, one in twenty breaks out (1–3% a
    day), one in ten declines."""
    kind = rng.random()
    if kind < 0.05:
        return rng.uniform(0.01, 0.03)
    if kind < 0.15:
        return max(-0.02, rng.gauss(-0.003, 0.002))
    return max(-0.02, rng.gauss(0.0015, 0.002))


def _ends(history: Sequence[Point], cutoff: datetime) -> Ends | None:
    """What growth.py's ``account_ends`` reads from these snapshots: the latest and the last at
    or before the cutoff (the oldest when none is that old); none for a single snapshot."""
    if len(history) < 2:
        return None
    baseline = history[0]
    for point in history:
        if point.taken_at <= cutoff:
            baseline = point
    return None if baseline is history[-1] else Ends(history[-1], baseline)


def _platform_count(rng: random.Random) -> int:
    return rng.choices(range(1, 6), weights=PLATFORM_COUNT_WEIGHTS)[0]


def _name(rng: random.Random, role: Role, niches: Sequence[str]) -> str:
    if role is Role.BRAND:
        return f"{rng.choice(LAST_NAMES)} {niches[0].title()} {rng.choice(BRAND_WORDS)}"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _bio(rng: random.Random, niches: Sequence[str]) -> str:
    a, b = niches[0], niches[-1]
    return rng.choice(BIO_OPENINGS).format(a=a, b=b, A=a.title())


def _preferences(rng: random.Random, country: str, city: str) -> dict[str, Any]:
    low = rng.choice((1_000, 10_000, 50_000, 100_000))
    high = rng.choice((None, low * 10, low * 100))
    types = rng.sample(list(CollaborationType), rng.randint(0, 3))
    return {
        "audienceSize": {"min": low, "max": high},
        "budget": {"min": 100, "max": rng.choice((1_000, 5_000, 20_000))},
        "collaborationTypes": [t.value for t in types],
        "locations": rng.sample([country, city], rng.randint(0, 2)),
    }


def _json(value: object) -> str:
    return orjson.dumps(value).decode()
