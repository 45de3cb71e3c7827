"""Platform lookups and connected accounts: `platformLookup`, `platforms`, `socialAccounts`,
`socialAccountConnect`, `socialAccountAuthorize`, `socialAccountRefresh`,
`socialAccountDisconnect` — thin calls into resolvers/platforms.py and resolvers/oauth.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from models import AccountState
from models import Platform as PlatformEnum
from models import SocialAccount as SocialAccountModel
from models import SyncSource as SyncSourceEnum
from resolvers import oauth as oauth_ops
from resolvers import platforms as ops
from resolvers.image_proxy import proxied_url
from resolvers.posts import recent_posts
from schema.context import Info
from schema.enums import Platform
from schema.errors import refused_as_bad_input
from schema.payloads import REQUEST_REFUSED, Payload, refused_as
from schema.posts import PostConnection
from schema.profiles import Profile
from schema.scalars import BigInt

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    ops.ProviderName,
    name="Provider",
    description="A data provider stats are fetched from. DEMO makes up numbers for "
    "development (never in production): its answers are not real accounts.",
)
Provider = ops.ProviderName
strawberry.enum(
    ops.CountPrecision,
    name="CountPrecision",
    description="EXACT counts; ROUNDED by the platform (YouTube subscribers); HIDDEN by the "
    "creator (the follower count is then null).",
)
CountPrecision = ops.CountPrecision
strawberry.enum(
    ops.EngagementMethod,
    name="EngagementMethod",
    description="The documented formula an engagement rate came from (README, "
    '"Platform providers"); NOT_AVAILABLE where the platform cannot give one (Twitch, X).',
)
EngagementMethod = ops.EngagementMethod
strawberry.enum(
    AccountState,
    name="SocialAccountState",
    description="READY; PRIVATE or NOT_FOUND as the provider last saw the handle; "
    "QUOTA_LIMITED when the provider's quota ran out (enter numbers by hand meanwhile); "
    "DISCONNECTED when the platform withdrew an OAuth connection (connect it again).",
)
SocialAccountState = AccountState
strawberry.enum(
    SyncSourceEnum, name="SyncSource", description="Where an account's numbers come from."
)
SyncSource = SyncSourceEnum

# Platform CDN links expire and refuse other sites' pages: avatars go through the image proxy.
PROXIED_AVATAR = (
    "The account avatar through this server's image proxy (a signed /images/proxy link; the "
    "platform's own link expires and refuses other sites); null when unknown or not on a "
    "platform's image host."
)


def _avatar(root: Any, info: Info) -> str | None:
    """The proxy link for the platform's avatar URL the type keeps in ``raw_avatar_url``."""
    return proxied_url(info.context.services.media, root.raw_avatar_url)


@strawberry.type(description="An account's public numbers as a provider reported them.")
class PlatformProfile:
    platform: Platform = strawberry.field(description="The platform the account is on.")
    handle: str = strawberry.field(description="The normalized handle, without @.")
    platform_user_id: str = strawberry.field(description="The platform's own id for the account.")
    display_name: str | None = strawberry.field(
        description="The account name; null when the provider does not give one."
    )
    avatar_url: str | None = strawberry.field(description=PROXIED_AVATAR, resolver=_avatar)
    bio: str | None = strawberry.field(description="The account bio; null when not given.")
    verified: bool | None = strawberry.field(description="Null when the platform does not say.")
    followers: BigInt | None = strawberry.field(description="Null when hidden by the creator.")
    following: BigInt | None = strawberry.field(
        description="Accounts it follows; null when not reported."
    )
    content_count: BigInt | None = strawberry.field(description="Posts, videos or tweets.")
    total_likes: BigInt | None = strawberry.field(description="Likes received, where reported.")
    total_views: BigInt | None = strawberry.field(description="Views, where reported.")
    engagement: float | None = strawberry.field(
        description="Engagement rate in percent (0–100); null when not available."
    )
    engagement_method: EngagementMethod = strawberry.field(
        description="How the engagement rate was computed."
    )
    engagement_sample: int | None = strawberry.field(
        description="How many posts or videos the rate was computed over."
    )
    exact: bool = strawberry.field(description="Whether the counts are exact (not rounded).")
    count_precision: CountPrecision = strawberry.field(
        description="Whether the counts are exact, rounded or hidden."
    )
    provider: Provider = strawberry.field(description="The provider that answered.")
    fetched_at: datetime = strawberry.field(description="When the provider was asked.")
    raw_avatar_url: strawberry.Private[str | None]

    @classmethod
    def from_result(cls, p: ops.PlatformProfile) -> PlatformProfile:
        return cls(
            platform=PlatformEnum(p.platform.value),
            handle=p.handle,
            platform_user_id=p.platform_user_id,
            display_name=p.display_name,
            raw_avatar_url=p.avatar_url,
            bio=p.bio,
            verified=p.verified,
            followers=_big(p.followers),
            following=_big(p.following),
            content_count=_big(p.content_count),
            total_likes=_big(p.total_likes),
            total_views=_big(p.total_views),
            engagement=p.engagement.rate,
            engagement_method=p.engagement.method,
            engagement_sample=p.engagement.sample_size,
            exact=p.exact,
            count_precision=p.precision,
            provider=p.provider,
            fetched_at=p.fetched_at,
        )


@strawberry.type(
    description="One of the viewer's platform accounts, with where its numbers came from."
)
class SocialAccount:
    platform: Platform = strawberry.field(description="The platform the account is on.")
    handle: str | None = strawberry.field(
        description="The normalized handle, without @; null when none is known."
    )
    display_name: str | None = strawberry.field(
        description="The account name as the provider reported it; null when unknown."
    )
    avatar_url: str | None = strawberry.field(description=PROXIED_AVATAR, resolver=_avatar)
    verified: bool | None = strawberry.field(
        description="Whether the platform verified the account; null when unknown."
    )
    followers: BigInt | None = strawberry.field(description="Null when hidden by the creator.")
    following: BigInt | None = strawberry.field(
        description="Accounts it follows; null when not reported."
    )
    content_count: BigInt | None = strawberry.field(
        description="Posts, videos or tweets; null when not reported."
    )
    total_likes: BigInt | None = strawberry.field(
        description="Likes received; null when not reported."
    )
    total_views: BigInt | None = strawberry.field(description="Views; null when not reported.")
    engagement: float | None = strawberry.field(
        description="Engagement rate in percent (0–100); null when not known."
    )
    engagement_method: EngagementMethod | None = strawberry.field(
        description="How the engagement rate was computed; null for numbers entered by hand."
    )
    count_precision: CountPrecision | None = strawberry.field(
        description="Null for numbers entered by hand."
    )
    exact: bool | None = strawberry.field(description="Null for numbers entered by hand.")
    state: SocialAccountState = strawberry.field(
        description="How the provider last saw the account."
    )
    source: SyncSource = strawberry.field(
        description="Whether the numbers were entered by hand or fetched from a provider."
    )
    provider: Provider | None = strawberry.field(
        description="The provider the numbers came from; null for numbers entered by hand."
    )
    fetched_at: datetime | None = strawberry.field(description="When the provider was asked.")
    last_synced_at: datetime = strawberry.field(description="When the numbers last changed.")
    last_refresh_error: RefreshError | None = strawberry.field(
        description="Why the last scheduled refresh failed; null when it succeeded or none ran."
    )
    next_refresh_at: datetime | None = strawberry.field(
        description="When the scheduled refresh fetches this account again; null when it is "
        "not scheduled yet (numbers entered by hand are never refreshed)."
    )
    raw_avatar_url: strawberry.Private[str | None]
    account_id: strawberry.Private[int]

    @strawberry.field(
        description="The latest posts or videos with their likes, comments and views, newest "
        "first, as the last provider sync fetched them."
    )
    @refused_as_bad_input
    async def recent_posts(self, first: int = 10, after: str | None = None) -> PostConnection:
        return PostConnection.from_page(await recent_posts(self.account_id, first, after))

    @classmethod
    def from_model(cls, a: SocialAccountModel) -> SocialAccount:
        precision = ops.CountPrecision(a.count_precision) if a.count_precision else None
        hidden = precision is ops.CountPrecision.HIDDEN
        return cls(
            platform=PlatformEnum(a.platform),
            handle=a.handle,
            display_name=a.display_name,
            raw_avatar_url=a.avatar_url,
            verified=a.verified,
            followers=None if hidden else BigInt(a.followers),
            following=_big(a.following),
            content_count=_big(a.content_count),
            total_likes=_big(a.total_likes),
            total_views=_big(a.total_views),
            engagement=a.engagement,
            engagement_method=ops.EngagementMethod(a.engagement_method)
            if a.engagement_method
            else None,
            count_precision=precision,
            exact=None if precision is None else precision is ops.CountPrecision.EXACT,
            state=AccountState(a.state),
            source=SyncSourceEnum(a.source),
            provider=ops.ProviderName(a.provider) if a.provider else None,
            fetched_at=a.fetched_at,
            last_synced_at=a.synced_at,
            last_refresh_error=RefreshError(
                code=a.refresh_error_code,
                message=a.refresh_error_message or "",
                at=a.refresh_error_at,
            )
            if a.refresh_error_code and a.refresh_error_at
            else None,
            next_refresh_at=a.next_refresh_at if a.source != SyncSourceEnum.MANUAL else None,
            account_id=a.id,
        )


@strawberry.type(
    description="Why the last scheduled refresh of an account failed; cleared by the next "
    "refresh that succeeds."
)
class RefreshError:
    code: str = strawberry.field(
        description="The error code, as in userErrors (QUOTA_EXCEEDED, NOT_FOUND, PRIVATE, "
        "RATE_LIMITED, PROVIDER_UNAVAILABLE, PROVIDER_MISCONFIGURED, NOT_CONFIGURED, …)."
    )
    message: str = strawberry.field(description="What happened, in a sentence for the owner.")
    at: datetime = strawberry.field(description="When the refresh failed.")


@strawberry.type(description="What this server can do for one platform.")
class PlatformCapabilities:
    platform: Platform = strawberry.field(description="The platform described.")
    manual: bool = strawberry.field(description="Numbers can be entered by hand (always).")
    provider_fetch: bool = strawberry.field(
        description="Stats can be fetched by handle from a data provider."
    )
    providers: list[Provider] = strawberry.field(
        description="The configured providers, in the order they are tried."
    )
    oauth: bool = strawberry.field(
        description="Your own account can be connected with OAuth (socialAccountAuthorize)."
    )
    summary: str = strawberry.field(description="A sentence to show to the user.")


@strawberry.type(description="The result of platformLookup.")
class PlatformLookupPayload(Payload, errors=REQUEST_REFUSED):
    profile: PlatformProfile | None = strawberry.field(
        default=None,
        description="The account as the provider reported it; null when the lookup failed.",
    )


@strawberry.input(description="A platform account to connect by handle.")
class SocialAccountConnectInput:
    platform: Platform = strawberry.field(description="The platform the account is on.")
    handle: str = strawberry.field(
        description="name, @name or a profile URL such as https://www.tiktok.com/@name."
    )


@strawberry.input(description="A platform whose account to connect with OAuth.")
class SocialAccountAuthorizeInput:
    platform: Platform = strawberry.field(description="The platform to connect.")


@strawberry.type(description="The result of socialAccountAuthorize.")
class SocialAccountAuthorizePayload(Payload, errors=REQUEST_REFUSED):
    authorization_url: str | None = strawberry.field(
        default=None,
        description="Open this in the user's own browser. It is on this server "
        "(/oauth/start/{platform}): it binds the flow to that browser with a cookie and goes on "
        "to the platform's consent screen; the platform returns the browser to "
        "/oauth/callback/{platform}, which completes the flow only in that same browser, then "
        "redirects to the app's result page with ?platform=…&result=connected, or "
        "result=error&code=…. Valid once, for ten minutes.",
    )


@strawberry.input(description="A connected platform to fetch again.")
class SocialAccountRefreshInput:
    platform: Platform = strawberry.field(description="The connected platform to fetch again.")
    force: bool = strawberry.field(
        default=False,
        description="Skip the cached answer (at most a few times an hour; see the README).",
    )


@strawberry.input(description="A platform to remove from the viewer's profile.")
class SocialAccountDisconnectInput:
    platform: Platform = strawberry.field(description="The platform to remove.")


@strawberry.type(description="The result of socialAccountConnect or socialAccountRefresh.")
class SocialAccountPayload(Payload, errors=REQUEST_REFUSED):
    account: SocialAccount | None = strawberry.field(
        default=None,
        description="The stored account; also present with a QUOTA_EXCEEDED, PRIVATE or "
        "NOT_FOUND error when only its state was saved.",
    )
    profile: Profile | None = strawberry.field(
        default=None,
        description="Your profile after the change; null when the request was refused.",
    )

    @classmethod
    def from_outcome(cls, outcome: ops.AccountOutcome) -> SocialAccountPayload:
        return cls(
            account=SocialAccount.from_model(outcome.account) if outcome.account else None,
            profile=Profile.from_model(outcome.profile) if outcome.profile else None,
        ).with_errors(outcome.errors)


@strawberry.type(description="The result of socialAccountDisconnect.")
class SocialAccountDisconnectPayload(Payload, errors=REQUEST_REFUSED):
    profile: Profile | None = strawberry.field(
        default=None, description="Your profile without the platform; null on failure."
    )


@strawberry.type
class PlatformQuery:
    @strawberry.field(
        description="A platform account's public stats by handle or profile URL, fetched from "
        "the configured provider (cached for a few minutes). Sign in to use it."
    )
    @refused_as(PlatformLookupPayload)
    async def platform_lookup(
        self,
        info: Info,
        platform: Platform,
        handle: str,
    ) -> PlatformLookupPayload:
        viewer = await info.context.require_viewer()
        result = await ops.lookup(info.context.services, viewer, platform, handle)
        return PlatformLookupPayload(profile=PlatformProfile.from_result(result))

    @strawberry.field(description="What each platform supports under this server's configuration.")
    def platforms(self, info: Info) -> list[PlatformCapabilities]:
        return [
            PlatformCapabilities(
                platform=c.platform,
                manual=c.manual,
                provider_fetch=c.provider_fetch,
                providers=list(c.providers),
                oauth=c.oauth,
                summary=c.summary,
            )
            for c in ops.capabilities(info.context.services, info.context.services.oauth)
        ]

    @strawberry.field(description="The viewer's platform accounts, with their provenance.")
    async def social_accounts(self, info: Info) -> list[SocialAccount]:
        viewer = await info.context.require_viewer()
        return [SocialAccount.from_model(a) for a in await ops.accounts_of(viewer)]


@strawberry.type
class PlatformMutation:
    @strawberry.mutation(
        description="Connect a platform account by handle or URL: fetch its stats from the "
        "provider and store them (source PROVIDER)."
    )
    @refused_as(SocialAccountPayload)
    async def social_account_connect(
        self, info: Info, input: SocialAccountConnectInput
    ) -> SocialAccountPayload:
        viewer = await info.context.require_viewer()
        outcome = await ops.connect_account(
            info.context.services, viewer, input.platform, input.handle
        )
        return SocialAccountPayload.from_outcome(outcome)

    @strawberry.mutation(
        description="Start connecting your own account on a platform with OAuth (where "
        "`platforms { oauth }` is true): returns the platform's authorization URL."
    )
    @refused_as(SocialAccountAuthorizePayload)
    async def social_account_authorize(
        self, info: Info, input: SocialAccountAuthorizeInput
    ) -> SocialAccountAuthorizePayload:
        viewer = await info.context.require_viewer()
        url = await oauth_ops.authorize(info.context.services, viewer, input.platform)
        return SocialAccountAuthorizePayload(authorization_url=url)

    @strawberry.mutation(
        description="Fetch a connected account's stats again: from the platform with its own "
        "token when connected with OAuth, else from its data provider."
    )
    @refused_as(SocialAccountPayload)
    async def social_account_refresh(
        self, info: Info, input: SocialAccountRefreshInput
    ) -> SocialAccountPayload:
        viewer = await info.context.require_viewer()
        outcome = await oauth_ops.refresh_connected_account(
            info.context.services, viewer, input.platform, input.force
        )
        return SocialAccountPayload.from_outcome(outcome)

    @strawberry.mutation(
        description="Remove a platform from the viewer's profile, with its history; an "
        "OAuth connection is also revoked at the platform."
    )
    @refused_as(SocialAccountDisconnectPayload)
    async def social_account_disconnect(
        self, info: Info, input: SocialAccountDisconnectInput
    ) -> SocialAccountDisconnectPayload:
        viewer = await info.context.require_viewer()
        profile = await ops.disconnect_account(info.context.services, viewer, input.platform)
        return SocialAccountDisconnectPayload(profile=Profile.from_model(profile))


def _big(value: int | None) -> BigInt | None:
    return None if value is None else BigInt(value)
