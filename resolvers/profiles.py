"""Profiles: who may see which, and the one validation of every editable field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from models import Platform, Profile, SocialAccount, User
from resolvers.avatar_urls import own_upload_prefix, public_url_errors, remove_replaced_upload
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.services import Services
from resolvers.sql_text import (
    RowReader,
    connection,
    convert_later,
    placeholder,
    placeholders,
    reader,
)
from resolvers.stats_change import StatsChange, change_profile_stats
from resolvers.sync import FOLLOWERS_MAX
from resolvers.text import INVISIBLE_MESSAGE, clean_text, has_forbidden_characters

DISPLAY_NAME_MAX = 80
BIO_MAX = 1000
URL_MAX = 2048
NICHES_MAX = 10
NICHE_MAX = 40
PLACE_MAX = 100
PREFERRED_LOCATIONS_MAX = 20
BUDGET_MAX = 1_000_000_000
_NICHE = re.compile(r"^[\w][\w &'\-]*$")


class CollaborationType(StrEnum):
    SPONSORED_POST = "SPONSORED_POST"
    PRODUCT_REVIEW = "PRODUCT_REVIEW"
    AFFILIATE = "AFFILIATE"
    BRAND_AMBASSADOR = "BRAND_AMBASSADOR"
    GIVEAWAY = "GIVEAWAY"
    EVENT = "EVENT"
    CONTENT_CREATION = "CONTENT_CREATION"
    OTHER = "OTHER"


class _Unset:
    """Marks a field the client did not send, as distinct from one it set to null."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class Range:
    min: int | None
    max: int | None


@dataclass(frozen=True, slots=True)
class LocationChange:
    city: str | None = None
    state: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class PreferencesChange:
    audience_size: Range | None = None
    budget: Range | None = None
    collaboration_types: Sequence[CollaborationType] = ()
    locations: Sequence[str] = ()


@dataclass(slots=True)
class ProfileChanges:
    display_name: Any = UNSET
    bio: Any = UNSET
    avatar_url: Any = UNSET
    niches: Any = UNSET
    location: Any = UNSET
    is_public: Any = UNSET
    preferences: Any = UNSET


def validate_display_name(value: str, path: tuple[str, ...]) -> list[FieldError]:
    value = value.strip()
    if not value:
        return [FieldError(path, "Enter a display name.", ErrorCode.REQUIRED)]
    if len(value) > DISPLAY_NAME_MAX:
        return [FieldError(path, f"Use at most {DISPLAY_NAME_MAX} characters.", ErrorCode.TOO_LONG)]
    if has_forbidden_characters(value):
        return [FieldError(path, INVISIBLE_MESSAGE, ErrorCode.INVALID)]
    return []


def normalize_niche(value: str) -> str:
    return " ".join(value.strip().lower().split())


def niche_tags(niches: Sequence[str]) -> str:
    return "|" + "|".join(niches) + "|" if niches else ""


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


async def update_profile(services: Services, user: User, changes: ProfileChanges) -> Profile:
    """Saves the validated changes through the stats tail: completeness is part of the rizz
    score, and the name, place, niches and visibility decide where discovery lists the profile."""
    values = _validated_values(changes, await _avatar_url_errors(services, user, changes))
    replaced: list[str | None] = []

    async def edit(change: StatsChange) -> None:
        if "avatar_url" in values:
            replaced.append(change.profile.avatar_url)
        for name, value in values.items():
            setattr(change.profile, name, value)
        if values:
            await change.profile.save(update_fields=list(values))

    profile = (await change_profile_stats(services, user.id, edit)).profile
    # After the commit, never before: a failed save must not leave the profile without files.
    if replaced and replaced[0] != profile.avatar_url:
        await remove_replaced_upload(services.media, user.id, replaced[0])
    return profile


async def _avatar_url_errors(
    services: Services, user: User, changes: ProfileChanges
) -> list[FieldError]:
    """The user's own upload, or an https URL whose host resolves to public addresses only."""
    if changes.avatar_url is UNSET:
        return []
    url = (changes.avatar_url or "").strip()
    if not url or own_upload_prefix(services.media, user.id, url) is not None:
        return []
    return _validate_url(url, ("avatarUrl",)) or await public_url_errors(
        services.media, url, ("avatarUrl",)
    )


def _validated_values(changes: ProfileChanges, avatar_errors: list[FieldError]) -> dict[str, Any]:
    errors: list[FieldError] = list(avatar_errors)
    values: dict[str, Any] = {}
    if changes.display_name is not UNSET:
        if changes.display_name is None:
            errors.append(FieldError(("displayName",), "Enter a display name.", ErrorCode.REQUIRED))
        else:
            errors += validate_display_name(changes.display_name, ("displayName",))
            values["display_name"] = changes.display_name.strip()
    if changes.bio is not UNSET:
        bio, bio_errors = clean_text(changes.bio, ("bio",), BIO_MAX, required=False)
        errors += bio_errors
        values["bio"] = bio
    if changes.avatar_url is not UNSET:
        url = (changes.avatar_url or "").strip()
        values["avatar_url"] = url or None
    if changes.niches is not UNSET:
        niches, niche_errors = _validate_niches(changes.niches or [])
        errors += niche_errors
        values["niches"] = niches
        values["niche_tags"] = niche_tags(niches)
    if changes.location is not UNSET:
        location = changes.location or LocationChange()
        for name in ("city", "state", "country"):
            place = (getattr(location, name) or "").strip()
            if len(place) > PLACE_MAX:
                errors.append(
                    FieldError(
                        ("location", name),
                        f"Use at most {PLACE_MAX} characters.",
                        ErrorCode.TOO_LONG,
                    )
                )
            elif has_forbidden_characters(place):
                errors.append(FieldError(("location", name), INVISIBLE_MESSAGE, ErrorCode.INVALID))
            values[name] = place or None
    if changes.is_public is not UNSET:
        if changes.is_public is None:
            errors.append(FieldError(("isPublic",), "Choose true or false.", ErrorCode.REQUIRED))
        values["is_public"] = bool(changes.is_public)
    if changes.preferences is not UNSET:
        preferences, preference_errors = _validate_preferences(changes.preferences)
        errors += preference_errors
        values["preferences"] = preferences
    if errors:
        raise OperationError(errors)
    return values


def _validate_url(url: str, path: tuple[str, ...]) -> list[FieldError]:
    if len(url) > URL_MAX:
        return [FieldError(path, f"Use at most {URL_MAX} characters.", ErrorCode.TOO_LONG)]
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.netloc:
        return [FieldError(path, "Enter an https URL.", ErrorCode.INVALID)]
    if has_forbidden_characters(url) or " " in url:
        return [FieldError(path, "Enter a valid URL.", ErrorCode.INVALID)]
    return []


def _validate_niches(raw: Sequence[str]) -> tuple[list[str], list[FieldError]]:
    errors: list[FieldError] = []
    niches: list[str] = []
    if len(raw) > NICHES_MAX:
        return [], [
            FieldError(("niches",), f"Choose at most {NICHES_MAX} niches.", ErrorCode.TOO_MANY)
        ]
    for index, value in enumerate(raw):
        niche = normalize_niche(value)
        path = ("niches", str(index))
        if not niche:
            errors.append(FieldError(path, "A niche cannot be empty.", ErrorCode.REQUIRED))
        elif len(niche) > NICHE_MAX:
            errors.append(
                FieldError(path, f"Use at most {NICHE_MAX} characters.", ErrorCode.TOO_LONG)
            )
        elif not _NICHE.match(niche):
            errors.append(
                FieldError(path, "Use letters, digits, spaces, & ' and -.", ErrorCode.INVALID)
            )
        elif niche not in niches:
            niches.append(niche)
    return niches, errors


def _validate_range(value: Range | None, path: str, cap: int) -> list[FieldError]:
    if value is None:
        return []
    errors = []
    for name in ("min", "max"):
        bound = getattr(value, name)
        if bound is not None and not 0 <= bound <= cap:
            errors.append(
                FieldError(
                    ("preferences", path, name),
                    f"Enter a number from 0 to {cap:,}.",
                    ErrorCode.OUT_OF_RANGE,
                )
            )
    if not errors and value.min is not None and value.max is not None and value.min > value.max:
        errors.append(
            FieldError(
                ("preferences", path, "min"),
                "The minimum cannot be greater than the maximum.",
                ErrorCode.OUT_OF_RANGE,
            )
        )
    return errors


def _validate_preferences(
    preferences: PreferencesChange | None,
) -> tuple[dict[str, Any], list[FieldError]]:
    if preferences is None:
        return {}, []
    errors = _validate_range(preferences.audience_size, "audienceSize", FOLLOWERS_MAX)
    errors += _validate_range(preferences.budget, "budget", BUDGET_MAX)
    types = list(dict.fromkeys(preferences.collaboration_types))
    locations: list[str] = []
    if len(preferences.locations) > PREFERRED_LOCATIONS_MAX:
        errors.append(
            FieldError(
                ("preferences", "locations"),
                f"Choose at most {PREFERRED_LOCATIONS_MAX} locations.",
                ErrorCode.TOO_MANY,
            )
        )
    else:
        for index, place in enumerate(preferences.locations):
            place = place.strip()
            if not place or len(place) > PLACE_MAX or has_forbidden_characters(place):
                errors.append(
                    FieldError(
                        ("preferences", "locations", str(index)),
                        f"Enter a place of 1 to {PLACE_MAX} characters.",
                        ErrorCode.INVALID,
                    )
                )
            elif place not in locations:
                locations.append(place)

    def as_dict(value: Range | None) -> dict[str, int | None] | None:
        return None if value is None else {"min": value.min, "max": value.max}

    stored = {
        "audienceSize": as_dict(preferences.audience_size),
        "budget": as_dict(preferences.budget),
        "collaborationTypes": [t.value for t in types],
        "locations": locations,
    }
    return stored, errors
