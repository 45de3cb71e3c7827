"""ProfileById and ViewerProfile (schema/documents/) as one SQL statement each.

Each statement reproduces what the GraphQL path does for its document:
- who may see the profile (resolvers/profile_reads.visible_profile): its owner always; anyone else
  only while it is public and active and its owner is not suspended;
- the viewer behind the token: a token names a user, who must still exist, not be deleted and
  not be suspended (resolvers/auth.authenticate). The statement reports whether that holds; when
  it does not, the caller lets Strawberry answer, so the error is Strawberry's own;
- how schema/profiles.py renders a profile: ``location`` null when no part is set (an empty
  string counts as unset), ``niches`` ``[]`` when missing, each platform of the breakdown null
  when the profile has no account there, followers as stored (a hidden count is stored as 0).

The statements' text is built once per dialect (``functools.cache``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from models import Platform
from resolvers.compiled import (
    Dialect,
    dialect,
    fetch_row,
    json_bool,
    json_datetime,
    json_float,
    json_global_id,
    json_int,
    json_object,
    json_string,
    json_string_array,
    param,
)

BREAKDOWN_PLATFORMS = ("TIKTOK", "INSTAGRAM", "YOUTUBE")  # ProfileById asks for these three
ALL_PLATFORMS = tuple(p.value for p in Platform)  # ViewerProfile asks for every one


@dataclass(frozen=True, slots=True)
class CompiledProfile:
    """What a profile statement found: ``viewer_ok`` False means the token's user may not act
    (absent, deleted or suspended) and the caller must not answer; ``body`` is the profile's JSON
    text (None when it is absent or not visible); ``owner_id`` its owner's user id."""

    viewer_ok: bool
    body: bytes | None
    owner_id: int | None


def _location(d: Dialect, p: str, parts: tuple[str, ...]) -> str:
    unset = " AND ".join(f"coalesce({p}.{part}, '') = ''" for part in parts)
    location = json_object([(part, json_string(d, f"{p}.{part}")) for part in parts])
    return f"CASE WHEN {unset} THEN 'null' ELSE {location} END"


def _platform(d: Dialect, p: str, platform: str, *, synced_at: bool) -> str:
    fields = [
        ("followers", json_int(d, "s.followers")),
        ("engagement", json_float(d, "s.engagement")),
    ]
    if synced_at:
        fields.append(("syncedAt", json_datetime(d, "s.synced_at")))
    return (
        f"coalesce((SELECT {json_object(fields)} FROM social_accounts s "  # noqa: S608 - fixed names only
        f"WHERE s.profile_id = {p}.id AND s.platform = '{platform}'), 'null')"
    )


def _profile_fields(
    d: Dialect, p: str, id_json: str, *, viewer: bool, platforms: tuple[str, ...]
) -> str:
    """The profile object of either document (``viewer``: ViewerProfile's selection)."""
    breakdown = json_object(
        [(name.lower(), _platform(d, p, name, synced_at=viewer)) for name in platforms]
    )
    stats = json_object(
        [
            ("totalFollowers", json_int(d, f"{p}.total_followers")),
            ("avgEngagement", json_float(d, f"{p}.avg_engagement")),
            ("platformBreakdown", breakdown),
        ]
    )
    fields = [
        ("id", id_json),
        ("displayName", json_string(d, f"{p}.display_name")),
        ("bio", json_string(d, f"{p}.bio")),
        ("avatarUrl", json_string(d, f"{p}.avatar_url")),
        ("niches", json_string_array(d, f"{p}.niches")),
        ("location", _location(d, p, ("city", "state", "country"))),
    ]
    if viewer:
        fields.append(("isPublic", json_bool(f"{p}.is_public")))
    else:
        fields.append(("role", json_string(d, f"{p}.role")))
    fields += [("rizzScore", json_int(d, f"{p}.rizz_score")), ("stats", stats)]
    return json_object(fields)


def _viewer_ok(d: Dialect, viewer_param: str) -> str:
    return (
        "(SELECT CASE WHEN vu.deleted_at IS NULL AND NOT vu.suspended THEN 1 ELSE 0 END "  # noqa: S608 - fixed names only
        f"FROM users vu WHERE vu.id = {viewer_param})"
    )


@functools.cache
def profile_by_id_sql(d: Dialect) -> str:
    """Parameters: the profile's pk, the viewer's user id (NULL when anonymous), the profile's
    global id as JSON text."""
    profile_id, viewer_id, id_json = param(d, 1), param(d, 2), param(d, 3)
    body = _profile_fields(d, "p", id_json, viewer=False, platforms=BREAKDOWN_PLATFORMS)
    return (
        f"SELECT {_viewer_ok(d, viewer_id)}, found.owner_id, found.body "  # noqa: S608 - fixed names only
        "FROM (SELECT 1 AS one) AS one_row LEFT JOIN ("
        f"SELECT p.user_id AS owner_id, {body} AS body "
        "FROM profiles p JOIN users u ON u.id = p.user_id "
        f"WHERE p.id = {profile_id} AND (p.user_id = {viewer_id} "
        "OR (p.is_public AND p.is_active AND NOT u.suspended))"
        ") AS found ON 1 = 1"
    )


async def profile_by_id(profile_id: int, viewer_id: int | None, id_json: bytes) -> CompiledProfile:
    """ProfileById's ``profile`` for this viewer, as the database wrote it."""
    row = await fetch_row(profile_by_id_sql(dialect()), [profile_id, viewer_id, id_json.decode()])
    assert row is not None  # the statement always answers one row
    viewer_ok, owner_id, body = row
    return CompiledProfile(
        viewer_ok=viewer_id is None or viewer_ok == 1,
        body=None if body is None else _as_bytes(body),
        owner_id=None if owner_id is None else int(str(owner_id)),
    )


def _as_bytes(text: object) -> bytes:
    return text.encode() if isinstance(text, str) else bytes(text)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class CompiledViewer:
    """What the viewer statement found: ``usable`` False when the token's user is absent,
    deleted or suspended, or has no profile (the GraphQL path answers those with an error);
    ``body`` the viewer's JSON text."""

    usable: bool
    body: bytes | None


@functools.cache
def viewer_profile_sql(d: Dialect) -> str:
    """Parameters: the viewer's user id, the viewer's global id as JSON text."""
    user_id, id_json = param(d, 1), param(d, 2)
    profile = _profile_fields(
        d, "p", json_global_id(d, "Profile", "p.id"), viewer=True, platforms=ALL_PLATFORMS
    )
    unread = (
        "(SELECT count(*) FROM notifications n WHERE n.recipient_id = vu.id AND n.read_at IS NULL)"
    )
    body = json_object(
        [
            ("id", id_json),
            ("email", json_string(d, "vu.email")),
            ("role", json_string(d, "vu.role")),
            ("emailVerified", json_bool("vu.email_verified")),
            ("unreadNotificationCount", json_int(d, unread)),
            ("profile", profile),
        ]
    )
    return (
        "SELECT CASE WHEN vu.deleted_at IS NULL AND NOT vu.suspended AND p.id IS NOT NULL "  # noqa: S608 - fixed names only
        f"THEN 1 ELSE 0 END, CASE WHEN p.id IS NULL THEN NULL ELSE {body} END "
        f"FROM users vu LEFT JOIN profiles p ON p.user_id = vu.id WHERE vu.id = {user_id}"
    )


async def viewer_profile(user_id: int, id_json: bytes) -> CompiledViewer:
    """ViewerProfile's ``viewer`` for the token's user, as the database wrote it."""
    row = await fetch_row(viewer_profile_sql(dialect()), [user_id, id_json.decode()])
    if row is None:
        return CompiledViewer(usable=False, body=None)
    usable, body = row
    if usable != 1 or body is None:
        return CompiledViewer(usable=False, body=None)
    return CompiledViewer(usable=True, body=_as_bytes(body))
