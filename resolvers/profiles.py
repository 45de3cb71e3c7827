"""Profiles: the one validation of every editable field, and the update that applies it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from models import Profile, User
from resolvers.avatar_urls import own_upload_prefix, public_url_errors, remove_replaced_upload
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.services import Services
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
