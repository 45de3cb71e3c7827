"""Discovery: `profiles(filter, orderBy, first, after)` over public, active profiles."""

from __future__ import annotations

import strawberry

from models import Platform as PlatformEnum
from models import Role as RoleEnum
from resolvers import discovery as ops
from resolvers.cursors import PAGE_MAX
from schema.context import Info
from schema.enums import Platform, Role
from schema.errors import refused_as_bad_input
from schema.profiles import Profile
from schema.relay import PageInfo, cursored, page_info
from schema.scalars import BigInt

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    ops.ProfileOrderField,
    name="ProfileOrderField",
    description="What to sort profiles by. GROWTH_30D (follower growth over 30 days, in "
    "percent) lists only the profiles whose growth is known. RELEVANCE (how well a profile "
    "matches the filter's search text; the default when there is one) needs a search text.",
)
ProfileOrderField = ops.ProfileOrderField
strawberry.enum(
    ops.OrderDirection,
    name="OrderDirection",
    description="ASC: smallest first; DESC: largest first.",
)
OrderDirection = ops.OrderDirection


@strawberry.input(description="All given conditions must hold.")
class ProfileFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Text in the display name or bio, a misspelling of words of the display "
        "name, or (PostgreSQL) every word in the name, bio or niches. Results are ordered by "
        "relevance unless orderBy says otherwise.",
    )
    niches: list[str] | None = strawberry.field(default=None, description="Any of these niches.")
    platforms: list[Platform] | None = strawberry.field(
        default=None, description="Has synced any of these platforms."
    )
    role: Role | None = strawberry.field(default=None, description="Only creators or only brands.")
    min_followers: BigInt | None = strawberry.field(
        default=None, description="Total followers at least this (0 or more)."
    )
    max_followers: BigInt | None = strawberry.field(
        default=None, description="Total followers at most this; not below minFollowers."
    )
    min_engagement: float | None = strawberry.field(
        default=None, description="Average engagement at least this, in percent (0–100)."
    )
    country: str | None = strawberry.field(
        default=None, description="Country, matched exactly but ignoring case."
    )
    city: str | None = strawberry.field(
        default=None, description="City, matched exactly but ignoring case."
    )
    min_growth_30d: float | None = strawberry.field(
        default=None,
        description="Follower growth over 30 days at least this, in percent (-100 or more; "
        "Profile.stats.growth defines it); leaves out profiles whose growth is unknown.",
    )


@strawberry.input(description="How to sort discovery results.")
class ProfileOrder:
    field: ProfileOrderField = strawberry.field(
        default=ops.ProfileOrderField.RIZZ_SCORE, description="The value to sort by."
    )
    direction: OrderDirection = strawberry.field(
        default=ops.OrderDirection.DESC,
        description="Sort direction; DESC (largest first) by default.",
    )


@strawberry.type(description="One profile in a discovery page.")
class ProfileEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to get the profiles that follow this one."
    )
    node: Profile = strawberry.field(description="The profile.")


@strawberry.type(description="A page of discovery results.")
class ProfileConnection:
    edges: list[ProfileEdge] = strawberry.field(
        description="The profiles on this page, in the requested order."
    )
    page_info: PageInfo = strawberry.field(description="Where this page sits in the results.")


def _filter(f: ProfileFilter | None) -> ops.ProfileFilter | None:
    if f is None:
        return None
    return ops.ProfileFilter(
        search=f.search,
        niches=f.niches,
        platforms=[PlatformEnum(p) for p in f.platforms] if f.platforms else None,
        role=RoleEnum(f.role) if f.role else None,
        min_followers=f.min_followers,
        max_followers=f.max_followers,
        min_engagement=f.min_engagement,
        country=f.country,
        city=f.city,
        min_growth_30d=f.min_growth_30d,
    )


@strawberry.type
class DiscoveryQuery:
    @strawberry.field(description=f"Find public profiles. `first` is at most {PAGE_MAX}.")
    @refused_as_bad_input
    async def profiles(
        self,
        info: Info,
        filter: ProfileFilter | None = None,
        order_by: ProfileOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProfileConnection:
        order = (
            ops.ProfileOrder(
                ops.ProfileOrderField(order_by.field), ops.OrderDirection(order_by.direction)
            )
            if order_by
            else None
        )
        page = await ops.search_profiles(_filter(filter), order, first, after)
        edges = [ProfileEdge(cursor=c, node=Profile.from_model(p)) for p, c in cursored(page)]
        return ProfileConnection(edges=edges, page_info=page_info(page))
