"""Profiles: the Profile type with its stats and platform breakdown, `profile`, `profileUpdate`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Platform as PlatformEnum
from models import Profile as ProfileModel
from models import Role as RoleEnum
from models import SocialAccount
from resolvers import profiles as ops
from resolvers.errors import ErrorCode, OperationError
from resolvers.sync import snapshots_of
from schema.context import Info
from schema.errors import UserError, bad_user_input, user_errors
from schema.node import Node, decode_id, encode_id
from schema.scalars import BigInt

Platform = strawberry.enum(PlatformEnum, name="Platform", description="A social platform.")
Role = strawberry.enum(RoleEnum, name="Role", description="What a user is on the platform.")
CollaborationType = strawberry.enum(
    ops.CollaborationType, name="CollaborationType", description="A kind of collaboration."
)
HISTORY_MAX = 100


@strawberry.type(description="Where a profile is based.")
class Location:
    city: str | None
    state: str | None
    country: str | None


@strawberry.type(description="An inclusive range; either end may be open (null).")
class IntRange:
    min: BigInt | None
    max: BigInt | None


@strawberry.type(description="What a profile is looking for in a collaboration.")
class Preferences:
    audience_size: IntRange | None = strawberry.field(description="Audience size sought.")
    budget: IntRange | None = strawberry.field(description="Budget range, in whole currency units.")
    collaboration_types: list[CollaborationType]  # type: ignore[valid-type]
    locations: list[str]


@strawberry.type(description="One sync's numbers for one platform.")
class StatsSnapshot:
    followers: int
    engagement: float | None
    taken_at: datetime


@strawberry.type
class StatsSnapshotEdge:
    cursor: str
    node: StatsSnapshot


@strawberry.type(description="Relay page info.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A platform's sync history, newest first.")
class StatsSnapshotConnection:
    edges: list[StatsSnapshotEdge]
    page_info: PageInfo


@strawberry.type(description="A profile's current numbers on one platform.")
class PlatformStats:
    platform: Platform  # type: ignore[valid-type]
    followers: int = strawberry.field(description="Followers (or subscribers) on the platform.")
    engagement: float | None = strawberry.field(
        description="Engagement rate in percent (0–100); null when not known."
    )
    synced_at: datetime = strawberry.field(description="When these numbers were last synced.")
    account_id: strawberry.Private[int]

    @strawberry.field(description="Every sync of this platform, newest first.")
    async def history(self, first: int = 30, after: str | None = None) -> StatsSnapshotConnection:
        if not 1 <= first <= HISTORY_MAX:
            raise bad_user_input(
                OperationError.single(
                    ("first",), f"first must be from 1 to {HISTORY_MAX}.", ErrorCode.OUT_OF_RANGE
                )
            )
        before = None
        if after is not None:
            decoded = decode_id(after, "StatsSnapshot")
            if decoded is None:
                raise bad_user_input(
                    OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)
                )
            before = decoded[1]
        rows = await snapshots_of(self.account_id, first, before)
        page = rows[:first]
        edges = [
            StatsSnapshotEdge(
                cursor=encode_id("StatsSnapshot", s.id),
                node=StatsSnapshot(
                    followers=s.followers, engagement=s.engagement, taken_at=s.taken_at
                ),
            )
            for s in page
        ]
        return StatsSnapshotConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @classmethod
    def from_model(cls, account: SocialAccount) -> PlatformStats:
        return cls(
            platform=account.platform,
            followers=account.followers,
            engagement=account.engagement,
            synced_at=account.synced_at,
            account_id=account.id,
        )


@strawberry.type(description="Each platform's stats; null for a platform never synced.")
class PlatformBreakdown:
    tiktok: PlatformStats | None
    instagram: PlatformStats | None
    youtube: PlatformStats | None
    twitch: PlatformStats | None
    twitter: PlatformStats | None

    @classmethod
    def from_accounts(cls, accounts: list[SocialAccount]) -> PlatformBreakdown:
        by_platform = {a.platform: PlatformStats.from_model(a) for a in accounts}
        return cls(**{p.value.lower(): by_platform.get(p) for p in PlatformEnum})


@strawberry.type(description="A profile's audience numbers across platforms.")
class ProfileStats:
    total_followers: BigInt = strawberry.field(description="Sum of followers over platforms.")
    avg_engagement: float = strawberry.field(
        description="Mean engagement of the platforms with engagement above 0, 2 decimals; "
        "0 when none."
    )
    profile_id: strawberry.Private[int]

    @strawberry.field(description="Per-platform numbers.")
    async def platform_breakdown(self, info: Info) -> PlatformBreakdown:
        accounts = await info.context.loaders.accounts_by_profile.load(self.profile_id)
        return PlatformBreakdown.from_accounts(accounts)


@strawberry.type(description="A creator's or brand's public profile.")
class Profile(Node):
    display_name: str
    bio: str | None
    avatar_url: str | None
    niches: list[str]
    location: Location | None
    role: Role  # type: ignore[valid-type]
    is_public: bool = strawberry.field(description="Whether discovery lists this profile.")
    rizz_score: int = strawberry.field(
        description="0–100: audience size (log scale), engagement, profile completeness and "
        "recency of the last sync, as documented in the README."
    )
    stats: ProfileStats
    updated_at: datetime
    model: strawberry.Private[ProfileModel]

    @strawberry.field(description="What this profile is looking for; only its owner sees it.")
    async def preferences(self, info: Info) -> Preferences | None:
        viewer = await info.context.viewer()
        if viewer is None or viewer.id != self.model.user_id:  # type: ignore[attr-defined]
            return None
        return preferences_from(self.model.preferences or {})

    @classmethod
    def from_model(cls, m: ProfileModel) -> Profile:
        has_location = m.city or m.state or m.country
        return cls(
            id=encode_id("Profile", m.id),
            display_name=m.display_name,
            bio=m.bio,
            avatar_url=m.avatar_url,
            niches=list(m.niches or []),
            location=Location(city=m.city, state=m.state, country=m.country)
            if has_location
            else None,
            role=RoleEnum(m.role),
            is_public=m.is_public,
            rizz_score=m.rizz_score,
            stats=ProfileStats(
                total_followers=BigInt(m.total_followers),
                avg_engagement=m.avg_engagement,
                profile_id=m.id,
            ),
            updated_at=m.updated_at,
            model=m,
        )


def preferences_from(stored: dict) -> Preferences:
    def as_range(value: dict | None) -> IntRange | None:
        return None if not value else IntRange(min=value.get("min"), max=value.get("max"))

    return Preferences(
        audience_size=as_range(stored.get("audienceSize")),
        budget=as_range(stored.get("budget")),
        collaboration_types=[
            ops.CollaborationType(t) for t in stored.get("collaborationTypes", [])
        ],
        locations=list(stored.get("locations", [])),
    )


@strawberry.input(description="Where a profile is based; omitted fields are cleared.")
class LocationInput:
    city: str | None = None
    state: str | None = None
    country: str | None = None


@strawberry.input(description="An inclusive range; min ≤ max.")
class IntRangeInput:
    min: BigInt | None = None
    max: BigInt | None = None


@strawberry.input(description="Collaboration preferences; replaces the stored ones whole.")
class PreferencesInput:
    audience_size: IntRangeInput | None = None
    budget: IntRangeInput | None = None
    collaboration_types: list[CollaborationType] = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    locations: list[str] = strawberry.field(default_factory=list)


@strawberry.input(
    description="Changes to the viewer's profile. Absent fields are left as they "
    "are; null clears a field."
)
class ProfileUpdateInput:
    display_name: strawberry.Maybe[str | None]
    bio: strawberry.Maybe[str | None]
    avatar_url: strawberry.Maybe[str | None]
    niches: strawberry.Maybe[list[str] | None]
    location: strawberry.Maybe[LocationInput | None]
    is_public: strawberry.Maybe[bool | None]
    preferences: strawberry.Maybe[PreferencesInput | None]


@strawberry.type
class ProfileUpdatePayload:
    profile: Profile | None
    user_errors: list[UserError]


def _range(value: IntRangeInput | None) -> ops.Range | None:
    return None if value is None else ops.Range(min=value.min, max=value.max)


def _changes(data: ProfileUpdateInput) -> ops.ProfileChanges:
    changes = ops.ProfileChanges()
    for name in ("display_name", "bio", "avatar_url", "niches", "is_public"):
        value = getattr(data, name)
        if value is not None:
            setattr(changes, name, value.value)
    if data.location is not None:
        loc = data.location.value
        changes.location = (
            None
            if loc is None
            else ops.LocationChange(city=loc.city, state=loc.state, country=loc.country)
        )
    if data.preferences is not None:
        pref = data.preferences.value
        changes.preferences = (
            None
            if pref is None
            else ops.PreferencesChange(
                audience_size=_range(pref.audience_size),
                budget=_range(pref.budget),
                collaboration_types=[ops.CollaborationType(t) for t in pref.collaboration_types],
                locations=pref.locations,
            )
        )
    return changes


@strawberry.type
class ProfileQuery:
    @strawberry.field(description="A profile by ID; null when absent or not visible to you.")
    async def profile(self, info: Info, id: strawberry.ID) -> Profile | None:
        decoded = decode_id(id, "Profile")
        if decoded is None:
            return None
        model = await ops.visible_profile(await info.context.viewer(), decoded[1])
        return Profile.from_model(model) if model else None


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Change the viewer's profile.")
    async def profile_update(self, info: Info, input: ProfileUpdateInput) -> ProfileUpdatePayload:
        viewer = await info.context.require_viewer()
        try:
            model = await ops.update_profile(viewer, _changes(input))
        except OperationError as exc:
            return ProfileUpdatePayload(profile=None, user_errors=user_errors(exc))
        return ProfileUpdatePayload(profile=Profile.from_model(model), user_errors=[])
