"""Stats sync: `socialSync` and `socialSyncBatch`, thin calls into the one sync path."""

from __future__ import annotations

import strawberry

from resolvers import sync as ops
from schema.context import Info
from schema.enums import Platform
from schema.errors import UserError, user_errors
from schema.payloads import REQUEST_REFUSED, Payload, refused_as
from schema.profiles import PlatformStats, Profile
from schema.scalars import BigInt

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    ops.ErrorPolicy,
    name="ErrorPolicy",
    description="REJECT_EVERYTHING saves nothing if any item fails; REJECT_FAILED_ROWS saves "
    "the items that pass.",
)
ErrorPolicy = ops.ErrorPolicy


@strawberry.input(description="One platform's numbers.")
class SocialSyncInput:
    platform: Platform = strawberry.field(description="The platform the numbers are for.")
    followers: BigInt = strawberry.field(
        description=f"Followers, a whole number from 0 to {ops.FOLLOWERS_MAX:,}."
    )
    engagement: float | None = strawberry.field(
        default=None, description="Engagement rate in percent, 0–100; omit when unknown."
    )


@strawberry.input(description="Several platforms' numbers, saved in one transaction.")
class SocialSyncBatchInput:
    items: list[SocialSyncInput] = strawberry.field(
        description=f"At most {ops.BATCH_MAX} items, each platform at most once."
    )
    error_policy: ErrorPolicy = strawberry.field(
        default=ops.ErrorPolicy.REJECT_EVERYTHING,
        description="What to save when some items fail; REJECT_EVERYTHING by default.",
    )


@strawberry.type(description="The result of socialSync.")
class SocialSyncPayload(Payload, errors=REQUEST_REFUSED):
    profile: Profile | None = strawberry.field(
        default=None, description="Your profile with the new numbers; null on failure."
    )
    stats: PlatformStats | None = strawberry.field(
        default=None, description="The synced platform's stats."
    )


@strawberry.type(description="What happened to one item of a batch.")
class SocialSyncBatchResult:
    platform: Platform | None = strawberry.field(
        description="The platform of the item; null when the item did not name a valid one."
    )
    stats: PlatformStats | None = strawberry.field(
        description="The stored stats; null when the item was not saved."
    )
    errors: list[UserError] = strawberry.field(
        description="Why this item was refused; empty when it passed."
    )


@strawberry.type(description="The result of socialSyncBatch.")
class SocialSyncBatchPayload(
    Payload, errors="Errors for the request as a whole; per-item errors are in results."
):
    count: int = strawberry.field(default=0, description="How many items were saved.")
    results: list[SocialSyncBatchResult] = strawberry.field(
        default_factory=list, description="One result per item, in input order."
    )
    profile: Profile | None = strawberry.field(
        default=None, description="Your profile after the batch; null when the request was refused."
    )


def _item(data: SocialSyncInput) -> ops.SyncItem:
    return ops.SyncItem(
        platform=data.platform, followers=data.followers, engagement=data.engagement
    )


@strawberry.type
class SyncMutation:
    @strawberry.mutation(description="Set one platform's numbers by hand.")
    @refused_as(SocialSyncPayload)
    async def social_sync(self, info: Info, input: SocialSyncInput) -> SocialSyncPayload:
        viewer = await info.context.require_viewer()
        outcome = await ops.sync_manual(info.context.services, viewer, [_item(input)])
        account = outcome.results[0].account
        return SocialSyncPayload(
            profile=Profile.from_model(outcome.profile),
            stats=PlatformStats.from_model(account) if account else None,
        )

    @strawberry.mutation(description="Set several platforms' numbers in one transaction.")
    @refused_as(SocialSyncBatchPayload)
    async def social_sync_batch(
        self, info: Info, input: SocialSyncBatchInput
    ) -> SocialSyncBatchPayload:
        viewer = await info.context.require_viewer()
        outcome = await ops.sync_manual(
            info.context.services,
            viewer,
            [_item(i) for i in input.items],
            ops.ErrorPolicy(input.error_policy),
            batch=True,
        )
        return SocialSyncBatchPayload(
            count=outcome.count,
            results=[
                SocialSyncBatchResult(
                    platform=r.platform,
                    stats=PlatformStats.from_model(r.account) if r.account else None,
                    errors=user_errors(r.errors),
                )
                for r in outcome.results
            ],
            profile=Profile.from_model(outcome.profile),
        ).with_errors(outcome.errors)
