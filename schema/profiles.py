"""Profiles: the Profile type with its stats and platform breakdown, `profile`, `profileUpdate`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from models import Platform as PlatformEnum
from models import Profile as ProfileModel
from models import Role as RoleEnum
from models import SocialAccount
from resolvers import profile_reads as reads
from resolvers import profiles as ops
from resolvers.profile_views import count_profile_view
from resolvers.stats_series import stats_series
from resolvers.sync import snapshot_history
from schema.context import Info
from schema.enums import Platform, Role
from schema.errors import refused_as_bad_input
from schema.growth import (
    SERIES_DAYS_DESCRIPTION,
    Growth,
    GrowthWindow,
    SeriesResolution,
    StatsPoint,
)
from schema.node import Node, decode_id, encode_id
from schema.payloads import REQUEST_REFUSED, Payload, refused_as
from schema.relay import PageInfo, cursored, page_info
from schema.scalars import BigInt

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    ops.CollaborationType, name="CollaborationType", description="A kind of collaboration."
)
CollaborationType = ops.CollaborationType


@strawberry.type(description="Where a profile is based.")
class Location:
    city: str | None = strawberry.field(description="City; null when not set.")
    state: str | None = strawberry.field(description="State or region; null when not set.")
    country: str | None = strawberry.field(description="Country; null when not set.")


@strawberry.type(description="An inclusive range; either end may be open (null).")
class IntRange:
    min: BigInt | None = strawberry.field(description="Lower bound, inclusive; null when open.")
    max: BigInt | None = strawberry.field(description="Upper bound, inclusive; null when open.")


@strawberry.type(description="What a profile is looking for in a collaboration.")
class Preferences:
    audience_size: IntRange | None = strawberry.field(description="Audience size sought.")
    budget: IntRange | None = strawberry.field(description="Budget range, in whole currency units.")
    collaboration_types: list[CollaborationType] = strawberry.field(
        description="Kinds of collaboration sought; empty when any."
    )
    locations: list[str] = strawberry.field(
        description="Places sought, as free text; empty when any."
    )


@strawberry.type(description="One sync's numbers for one platform.")
class StatsSnapshot:
    followers: int = strawberry.field(description="Followers (or subscribers) at that sync.")
    engagement: float | None = strawberry.field(
        description="Engagement rate in percent (0–100); null when not known."
    )
    taken_at: datetime = strawberry.field(description="When the sync happened.")


@strawberry.type(description="One sync in a platform's history.")
class StatsSnapshotEdge:
    cursor: str = strawberry.field(description="Pass as `after` to get the older syncs.")
    node: StatsSnapshot = strawberry.field(description="The numbers of that sync.")


@strawberry.type(description="A platform's sync history, newest first.")
class StatsSnapshotConnection:
    edges: list[StatsSnapshotEdge] = strawberry.field(
        description="The syncs on this page, newest first."
    )
    page_info: PageInfo = strawberry.field(description="Where this page sits in the history.")


@strawberry.type(description="A profile's current numbers on one platform.")
class PlatformStats:
    platform: Platform = strawberry.field(description="The platform these numbers are for.")
    followers: int = strawberry.field(description="Followers (or subscribers) on the platform.")
    engagement: float | None = strawberry.field(
        description="Engagement rate in percent (0–100); null when not known."
    )
    account_id: strawberry.Private[int]
    numbers: strawberry.Private[reads.AccountNumbers]

    # A resolver, not a value: the datetime is parsed only for the documents that ask for it.
    @strawberry.field(description="When these numbers were last synced.")
    def synced_at(self) -> datetime:
        return self.numbers.synced_at

    @strawberry.field(description="Every sync of this platform, newest first.")
    @refused_as_bad_input
    async def history(self, first: int = 30, after: str | None = None) -> StatsSnapshotConnection:
        page = await snapshot_history(self.account_id, first, after)
        edges = [
            StatsSnapshotEdge(
                cursor=cursor,
                node=StatsSnapshot(
                    followers=s.followers, engagement=s.engagement, taken_at=s.taken_at
                ),
            )
            for s, cursor in cursored(page)
        ]
        return StatsSnapshotConnection(edges=edges, page_info=page_info(page))

    @strawberry.field(
        description="How followers and engagement changed over the window; null while the "
        "platform has a single sync (nothing to compare)."
    )
    async def growth(self, info: Info, window: GrowthWindow) -> Growth | None:
        found = await info.context.loaders.account_growth.load((self.account_id, window))
        return Growth.from_result(found)

    @strawberry.field(
        description="The history as a compact chart: the last numbers of each day or week, "
        "oldest first; days without a sync are left out."
    )
    @refused_as_bad_input
    async def series(
        self,
        resolution: SeriesResolution = SeriesResolution.DAY,
        days: Annotated[int, strawberry.argument(description=SERIES_DAYS_DESCRIPTION)] = 90,
    ) -> list[StatsPoint]:
        points = await stats_series(self.account_id, resolution, days)
        return [StatsPoint(at=p.at, followers=p.followers, engagement=p.engagement) for p in points]

    @classmethod
    def from_model(cls, account: SocialAccount) -> PlatformStats:
        return cls.from_numbers(reads.AccountNumbers.from_model(account))

    @classmethod
    def from_numbers(cls, numbers: reads.AccountNumbers) -> PlatformStats:
        return cls(
            platform=numbers.platform,
            followers=numbers.followers,
            engagement=numbers.engagement,
            account_id=numbers.id,
            numbers=numbers,
        )


# Each platform's field of PlatformBreakdown, named once: reading an enum member's ``value`` is
# a descriptor call, five per breakdown when named on every read.
BREAKDOWN_FIELDS = tuple((p, p.value.lower()) for p in PlatformEnum)


@strawberry.type(description="Each platform's stats; null for a platform never synced.")
class PlatformBreakdown:
    tiktok: PlatformStats | None = strawberry.field(
        description="TikTok stats; null when never synced."
    )
    instagram: PlatformStats | None = strawberry.field(
        description="Instagram stats; null when never synced."
    )
    youtube: PlatformStats | None = strawberry.field(
        description="YouTube stats; null when never synced."
    )
    twitch: PlatformStats | None = strawberry.field(
        description="Twitch stats; null when never synced."
    )
    twitter: PlatformStats | None = strawberry.field(
        description="X (Twitter) stats; null when never synced."
    )

    @classmethod
    def from_accounts(cls, accounts: Sequence[reads.AccountNumbers]) -> PlatformBreakdown:
        by_platform = {a.platform: PlatformStats.from_numbers(a) for a in accounts}
        return cls(**{name: by_platform.get(p) for p, name in BREAKDOWN_FIELDS})


@strawberry.type(description="A profile's audience numbers across platforms.")
class ProfileStats:
    total_followers: BigInt = strawberry.field(description="Sum of followers over platforms.")
    avg_engagement: float = strawberry.field(
        description="Mean engagement of the platforms with engagement above 0, 2 decimals; "
        "0 when none."
    )
    profile_id: strawberry.Private[int]
    # The accounts' numbers when they were read with the profile (a profile by id), else None:
    # read through the request's loader, batched with the other profiles of the page.
    accounts: strawberry.Private[Sequence[reads.AccountNumbers] | None] = None

    @strawberry.field(description="Per-platform numbers.")
    def platform_breakdown(self, info: Info) -> PlatformBreakdown:
        """Synchronous, so a profile read with its accounts builds its breakdown without a
        coroutine for graphql-core to create and await (about 40 Python calls of a profile
        read's 2,700, bench/strawberry_cost.py). Otherwise it answers the loader's coroutine,
        which graphql-core awaits as it awaits any awaitable a resolver returns."""
        if self.accounts is not None:
            return PlatformBreakdown.from_accounts(self.accounts)
        return self._loaded(info)  # type: ignore[return-value]  # an awaitable, see above

    async def _loaded(self, info: Info) -> PlatformBreakdown:
        accounts = await info.context.loaders.accounts_by_profile.load(self.profile_id)
        return PlatformBreakdown.from_accounts(accounts)

    @strawberry.field(
        description="How the profile's audience changed over the window, over the platforms "
        "with at least two syncs: follower changes summed (each from its own baseline), and "
        "the change of the average engagement; null when no platform has two syncs."
    )
    async def growth(self, info: Info, window: GrowthWindow) -> Growth | None:
        found = await info.context.loaders.profile_growth.load((self.profile_id, window))
        return Growth.from_result(found)


@strawberry.type(description="A creator's or brand's public profile.")
class Profile(Node):
    display_name: str = strawberry.field(description="The name shown for this profile.")
    bio: str | None = strawberry.field(description="A short self-description; null when not set.")
    avatar_url: str | None = strawberry.field(
        description="URL of the avatar image; null when not set."
    )
    niches: list[str] = strawberry.field(
        description="Topics the profile covers, such as fitness or gaming; may be empty."
    )
    location: Location | None = strawberry.field(
        description="Where the profile is based; null when no part is set."
    )
    role: Role = strawberry.field(description="Whether this is a creator or a brand.")
    is_public: bool = strawberry.field(description="Whether discovery lists this profile.")
    rizz_score: int = strawberry.field(
        description="0–100: audience size (log scale), engagement, profile completeness and "
        "recency of the last sync, as documented in the README."
    )
    stats: ProfileStats = strawberry.field(
        description="Audience numbers across the synced platforms."
    )
    model: strawberry.Private[reads.ProfileRow]

    # A resolver, not a value: the datetime is parsed only for the documents that ask for it.
    @strawberry.field(description="When the profile or its stats last changed.")
    def updated_at(self) -> datetime:
        return self.model.updated_at

    @strawberry.field(description="What this profile is looking for; only its owner sees it.")
    async def preferences(self, info: Info) -> Preferences | None:
        viewer = await info.context.viewer()
        if viewer is None or viewer.id != self.model.user_id:
            return None
        return preferences_from(self.model.preferences or {})

    @classmethod
    def from_model(cls, m: ProfileModel) -> Profile:
        return cls.from_row(reads.ProfileRow.from_model(m))

    @classmethod
    def from_visible(cls, found: reads.VisibleProfile) -> Profile:
        """The profile with its accounts' numbers, read with it (its breakdown needs no load)."""
        return cls.from_row(found.profile, found.accounts)

    @classmethod
    def from_row(
        cls, m: reads.ProfileRow, accounts: Sequence[reads.AccountNumbers] | None = None
    ) -> Profile:
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
                accounts=accounts,
            ),
            model=m,
        )


def preferences_from(stored: dict[str, Any]) -> Preferences:
    def as_range(value: dict[str, Any] | None) -> IntRange | None:
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
    city: str | None = strawberry.field(default=None, description="City, at most 100 characters.")
    state: str | None = strawberry.field(
        default=None, description="State or region, at most 100 characters."
    )
    country: str | None = strawberry.field(
        default=None, description="Country, at most 100 characters."
    )


@strawberry.input(description="An inclusive range; min ≤ max.")
class IntRangeInput:
    min: BigInt | None = strawberry.field(
        default=None, description="Lower bound, inclusive; omit or null for no lower bound."
    )
    max: BigInt | None = strawberry.field(
        default=None, description="Upper bound, inclusive; omit or null for no upper bound."
    )


@strawberry.input(description="Collaboration preferences; replaces the stored ones whole.")
class PreferencesInput:
    audience_size: IntRangeInput | None = strawberry.field(
        default=None, description="Audience size sought, in followers; null for any."
    )
    budget: IntRangeInput | None = strawberry.field(
        default=None, description="Budget range, in whole currency units; null for any."
    )
    collaboration_types: list[CollaborationType] = strawberry.field(
        default_factory=list, description="Kinds of collaboration sought; empty for any."
    )
    locations: list[str] = strawberry.field(
        default_factory=list, description="Places sought, as free text; at most 20."
    )


@strawberry.input(
    description="Changes to the viewer's profile. Absent fields are left as they "
    "are; null clears a field."
)
class ProfileUpdateInput:
    display_name: strawberry.Maybe[str | None] = strawberry.field(
        description="The name shown on your profile, at most 80 characters."
    )
    bio: strawberry.Maybe[str | None] = strawberry.field(
        description="A short self-description, at most 1000 characters."
    )
    avatar_url: strawberry.Maybe[str | None] = strawberry.field(
        description="Your avatar: an https URL on a public host (at most 2048 characters), or "
        "the avatarUrl that POST /uploads/avatar answered with."
    )
    niches: strawberry.Maybe[list[str] | None] = strawberry.field(
        description="Topics you cover; at most 10, each at most 40 characters."
    )
    location: strawberry.Maybe[LocationInput | None] = strawberry.field(
        description="Where you are based; replaces the stored location."
    )
    is_public: strawberry.Maybe[bool | None] = strawberry.field(
        description="Whether discovery lists your profile."
    )
    preferences: strawberry.Maybe[PreferencesInput | None] = strawberry.field(
        description="What you are looking for in a collaboration."
    )


@strawberry.type(description="The result of profileUpdate.")
class ProfileUpdatePayload(Payload, errors=REQUEST_REFUSED):
    profile: Profile | None = strawberry.field(
        default=None, description="The updated profile; null when the update failed."
    )


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
        viewer = await info.context.viewer()
        found = await reads.visible_profile(viewer, decoded[1])
        if found is None:
            return None
        count_profile_view(info.context.services, viewer, found.profile)
        return Profile.from_visible(found)


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Change the viewer's profile.")
    @refused_as(ProfileUpdatePayload)
    async def profile_update(self, info: Info, input: ProfileUpdateInput) -> ProfileUpdatePayload:
        viewer = await info.context.require_viewer()
        model = await ops.update_profile(info.context.services, viewer, _changes(input))
        return ProfileUpdatePayload(profile=Profile.from_model(model))
