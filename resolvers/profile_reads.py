"""Reads of profiles: who may see which, and the rows the hot reads need.

The hottest reads (profile by id and its platform numbers, the owners of a discovery page) run
SQL built once per dialect into light rows (resolvers/sql_text.py) instead of model instances;
``_may_see`` is the one visibility rule in Python (the compiled statements in resolvers/compiled/
state it again in SQL and are tested against it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from models import Platform, Profile, SocialAccount, User
from resolvers.sql_text import (
    RowReader,
    connection,
    convert_later,
    placeholder,
    placeholders,
    reader,
)

PROFILE_COLUMNS = (
    "id",
    "user_id",
    "role",
    "display_name",
    "bio",
    "avatar_url",
    "niches",
    "city",
    "state",
    "country",
    "preferences_value",
    "is_public",
    "is_active",
    "total_followers",
    "avg_engagement",
    "rizz_score",
    "updated_at_value",
)
LATER = frozenset({"preferences", "updated_at"})  # what few readers ask for: converted on demand


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A profile as the read paths show it: the columns the Profile type exposes, without a
    model instance (and without parsing the datetimes nobody asked for)."""

    id: int
    user_id: int
    role: str
    display_name: str
    bio: str | None
    avatar_url: str | None
    niches: list[str]
    city: str | None
    state: str | None
    country: str | None
    preferences_value: object  # as read; ``preferences`` converts it
    is_public: bool
    is_active: bool
    total_followers: int
    avg_engagement: float
    rizz_score: int
    updated_at_value: object  # as read; ``updated_at`` converts it

    @property
    def preferences(self) -> dict[str, Any]:
        value: dict[str, Any] = convert_later(Profile, "preferences", self.preferences_value)
        return value

    @property
    def updated_at(self) -> datetime:
        value: datetime = convert_later(Profile, "updated_at", self.updated_at_value)
        return value

    @classmethod
    def from_model(cls, m: Profile) -> ProfileRow:
        return cls(*(getattr(m, column.removesuffix("_value")) for column in PROFILE_COLUMNS))


async def profile_of(user: User) -> Profile:
    return await Profile.get(user_id=user.id)


async def accounts_by_profile(profile_ids: Sequence[int]) -> list[list[SocialAccount]]:
    """Every social account of each profile, in the order of ``profile_ids`` (one query)."""
    grouped: dict[int, list[SocialAccount]] = {pid: [] for pid in profile_ids}
    for account in await SocialAccount.filter(profile_id__in=list(set(profile_ids))):
        grouped[account.profile_id].append(account)
    return [grouped[pid] for pid in profile_ids]


ACCOUNT_COLUMNS = ("id", "profile_id", "platform", "followers", "engagement", "synced_at")


@dataclass(frozen=True, slots=True)
class AccountNumbers:
    """A social account's current numbers, the part a profile's platform breakdown shows."""

    id: int
    profile_id: int
    platform: Platform
    followers: int
    engagement: float | None
    synced_at_value: object  # as read; ``synced_at`` converts it

    @property
    def synced_at(self) -> datetime:
        value: datetime = convert_later(SocialAccount, "synced_at", self.synced_at_value)
        return value

    @classmethod
    def from_model(cls, m: SocialAccount) -> AccountNumbers:
        return cls(m.id, m.profile_id, m.platform, m.followers, m.engagement, m.synced_at)


@cache
def _account_reader() -> RowReader:
    return reader(SocialAccount, ACCOUNT_COLUMNS, later=("synced_at",))


def _numbers_sql(dialect: str, count: int) -> str:
    columns, table = ", ".join(ACCOUNT_COLUMNS), SocialAccount._meta.db_table
    select = f"SELECT {columns} FROM {table}"  # noqa: S608 - fixed names only
    if dialect == "postgres":  # one text for any number of profiles: an array parameter
        return f"{select} WHERE profile_id = ANY($1::bigint[])"
    return f"{select} WHERE profile_id IN ({placeholders(dialect, count)})"


async def account_numbers_by_profile(profile_ids: Sequence[int]) -> list[list[AccountNumbers]]:
    """Every social account's numbers for each profile, in the order of ``profile_ids`` (one
    query, its SQL text built once)."""
    grouped: dict[int, list[AccountNumbers]] = {pid: [] for pid in profile_ids}
    ids = list(grouped)
    db, dialect = connection(SocialAccount)
    params: list[Any] = [ids] if dialect == "postgres" else ids
    _, rows = await db.execute_query(_numbers_sql(dialect, len(ids)), params)
    read = _account_reader()
    for row in rows:
        account = AccountNumbers(*read.values(row))
        grouped[account.profile_id].append(account)
    return [grouped[pid] for pid in profile_ids]


@dataclass(frozen=True, slots=True)
class VisibleProfile:
    """A profile the viewer may see, with its accounts' numbers (read with it)."""

    profile: ProfileRow
    accounts: list[AccountNumbers]


@cache
def _visible_sql(dialect: str) -> str:
    profile_columns = ", ".join(f"p.{c.removesuffix('_value')}" for c in PROFILE_COLUMNS)
    account_columns = ", ".join(f"a.{c}" for c in ACCOUNT_COLUMNS)
    profiles, users, accounts = (
        Profile._meta.db_table,
        User._meta.db_table,
        SocialAccount._meta.db_table,
    )
    return (
        f"SELECT {profile_columns}, u.suspended, {account_columns} "  # noqa: S608 - fixed names only
        f"FROM {profiles} p JOIN {users} u ON u.id = p.user_id "
        f"LEFT JOIN {accounts} a ON a.profile_id = p.id WHERE p.id = {placeholder(dialect, 1)}"
    )


@cache
def _profile_readers() -> tuple[RowReader, RowReader]:
    # Built on first use: Tortoise adds the ``user_id`` field when it initialises.
    columns = [c.removesuffix("_value") for c in PROFILE_COLUMNS]
    return reader(Profile, columns, LATER), reader(User, ("suspended",))


def _may_see(viewer: User | None, profile: ProfileRow, owner_suspended: bool) -> bool:
    """The rule: public and active with an unsuspended owner, or the viewer's own."""
    if viewer is not None and profile.user_id == viewer.id:
        return True
    return profile.is_public and profile.is_active and not owner_suspended


async def visible_profile(viewer: User | None, profile_id: int) -> VisibleProfile | None:
    """A profile the viewer may see: public and active with an unsuspended owner, or their own.

    Its accounts come in the same statement (one row per account): nearly every read of a
    profile shows its platform breakdown, and a second query cost more than the few repeated
    columns (bench/strawberry_cost.py)."""
    db, dialect = connection(Profile)
    _, rows = await db.execute_query(_visible_sql(dialect), [profile_id])
    if not rows:
        return None
    read_profile, read_owner = _profile_readers()
    first = rows[0]
    profile = ProfileRow(*read_profile.values(first))
    (suspended,) = read_owner.values(first, read_profile.width)
    if not _may_see(viewer, profile, suspended):
        return None
    split = read_profile.width + read_owner.width
    read_account = _account_reader()
    accounts = [
        AccountNumbers(*read_account.values(row, split))
        for row in rows
        if row[split] is not None  # the LEFT JOIN's one row for a profile without accounts
    ]
    return VisibleProfile(profile, accounts)


async def users_by_id(user_ids: Sequence[int]) -> list[User | None]:
    found = {u.id: u for u in await User.filter(id__in=list(set(user_ids)))}
    return [found.get(uid) for uid in user_ids]
