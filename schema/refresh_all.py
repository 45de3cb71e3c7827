"""`socialAccountRefreshAll`: every connected account of the viewer fetched again — a thin call
into resolvers/refresh_all.py."""

from __future__ import annotations

import strawberry

from resolvers.refresh_all import PlatformRefresh, refresh_all_accounts
from schema.context import Info
from schema.enums import Platform
from schema.errors import UserError, user_errors
from schema.payloads import REQUEST_REFUSED, Payload, refused_as
from schema.platforms import SocialAccount
from schema.profiles import Profile


@strawberry.type(description="What refreshing one platform's account produced.")
class PlatformRefreshResult:
    platform: Platform = strawberry.field(description="The platform refreshed.")
    account: SocialAccount | None = strawberry.field(
        description="The account as stored after the attempt: with new numbers, or with the "
        "state the provider reported (QUOTA_LIMITED, NOT_FOUND, PRIVATE), or unchanged."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why this platform was not refreshed; empty when it was."
    )

    @classmethod
    def from_result(cls, r: PlatformRefresh) -> PlatformRefreshResult:
        return cls(
            platform=r.platform,
            account=SocialAccount.from_model(r.account) if r.account else None,
            user_errors=user_errors(r.errors),
        )


@strawberry.type(description="The result of socialAccountRefreshAll.")
class SocialAccountRefreshAllPayload(Payload, errors=REQUEST_REFUSED):
    results: list[PlatformRefreshResult] = strawberry.field(
        default_factory=list,
        description="One result per connected platform (numbers entered by hand have nothing "
        "to fetch and are left out); empty when the request was refused.",
    )
    profile: Profile | None = strawberry.field(
        default=None, description="Your profile after the refresh; null when refused."
    )


@strawberry.type
class RefreshAllMutation:
    @strawberry.mutation(
        description="Fetch every connected account of the viewer again, skipping cached "
        "answers. Counts as one forced refresh against the same limit as "
        "socialAccountRefresh(force: true)."
    )
    @refused_as(SocialAccountRefreshAllPayload)
    async def social_account_refresh_all(self, info: Info) -> SocialAccountRefreshAllPayload:
        viewer = await info.context.require_viewer()
        outcome = await refresh_all_accounts(info.context.services, viewer)
        return SocialAccountRefreshAllPayload(
            results=[PlatformRefreshResult.from_result(r) for r in outcome.results],
            profile=Profile.from_model(outcome.profile),
        )
