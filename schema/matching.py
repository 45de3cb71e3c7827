"""`profileMatches(first, after)`: creators for a brand, brands for a creator, by fit."""

from __future__ import annotations

import strawberry

from models import Profile as ProfileModel
from resolvers import matching as ops
from resolvers.cursors import PAGE_MAX
from schema.context import Info
from schema.errors import refused_as_bad_input
from schema.profiles import Profile
from schema.relay import PageInfo

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    ops.MatchPreference,
    name="MatchPreference",
    description="A preference a match score counts (resolvers/matching.py states the formula).",
)
MatchPreference = ops.MatchPreference


@strawberry.type(description="How one preference counted in a match score.")
class MatchReason:
    preference: MatchPreference = strawberry.field(description="The preference.")
    points: float = strawberry.field(description="The points it earned, 0 to maxPoints.")
    max_points: int = strawberry.field(description="The points it could earn.")
    detail: str = strawberry.field(description="What matched, and how well, in words.")


@strawberry.type(description="One match: a profile, its fit score and the reasons for it.")
class ProfileMatchEdge:
    cursor: str = strawberry.field(description="Pass as `after` to get the matches after it.")
    node: Profile = strawberry.field(description="The matching profile.")
    score: int = strawberry.field(description="The fit, 0 (none) to 100 (every preference).")
    reasons: list[MatchReason] = strawberry.field(
        description="Each preference counted, with the points it earned."
    )


@strawberry.type(description="A page of matches, best first.")
class ProfileMatchConnection:
    edges: list[ProfileMatchEdge] = strawberry.field(description="The matches on this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the matches.")
    hint: str | None = strawberry.field(
        description="Why there are no matches, when the viewer has nothing to match on yet "
        "(no preferences or niches); null otherwise."
    )


@strawberry.type
class MatchingQuery:
    @strawberry.field(
        description="For a brand, the creators that fit its preferences (audience size, niches, "
        "locations, collaboration types, engagement); for a creator, the brands whose "
        f"preferences they fit. Best first; `first` is at most {PAGE_MAX}."
    )
    @refused_as_bad_input
    async def profile_matches(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ProfileMatchConnection:
        viewer = await info.context.require_viewer()
        profile = await ProfileModel.get(user_id=viewer.id)
        page = await ops.profile_matches(profile, first, after)
        edges = [
            ProfileMatchEdge(
                cursor=cursor,
                node=Profile.from_model(m.profile),
                score=m.fit.score,
                reasons=[
                    MatchReason(
                        preference=r.preference,
                        points=round(r.points, 2),
                        max_points=r.max_points,
                        detail=r.detail,
                    )
                    for r in m.fit.reasons
                ],
            )
            for m, cursor in zip(page.matches, page.cursors, strict=True)
        ]
        info_ = PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )
        return ProfileMatchConnection(edges=edges, page_info=info_, hint=page.hint)
