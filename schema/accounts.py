"""Accounts and sessions: `viewer`, `accountRegister`, `tokenCreate`, `tokenRefresh`,
`tokenRevoke`."""

from __future__ import annotations

import strawberry

from models import Role as RoleEnum
from models import User as UserModel
from resolvers import auth
from resolvers.cursors import PAGE_MAX
from resolvers.notifications import unread_count as unread_notification_count
from resolvers.profile_reads import profile_of
from schema.client_address import client_address
from schema.contacts import CollaboratorConnection, collaborators_of
from schema.context import Info
from schema.enums import Role
from schema.errors import refused_as_bad_input
from schema.node import Node, encode_id
from schema.payloads import REQUEST_REFUSED, Payload, refused_as
from schema.profiles import Profile


@strawberry.type(description="A signed-in person. Only the user themself can see their User.")
class User(Node):
    email: str = strawberry.field(description="The email address the user signs in with.")
    role: Role = strawberry.field(description="Whether the user is a creator or a brand.")
    email_verified: bool = strawberry.field(
        description="Whether the email address was proven with an emailed code; until it is, "
        "sending messages and collaboration requests may be refused (EMAIL_NOT_VERIFIED)."
    )
    model: strawberry.Private[UserModel]

    @strawberry.field(description="The user's profile.")
    async def profile(self) -> Profile | None:
        return Profile.from_model(await profile_of(self.model))

    @strawberry.field(description="How many of your notifications are unread.")
    async def unread_notification_count(self) -> int:
        return await unread_notification_count(self.model.id)

    @strawberry.field(
        description="The people you have an accepted collaboration with (either of you asked), "
        f"by display name; `search` matches any part of it. `first` is at most {PAGE_MAX}."
    )
    @refused_as_bad_input
    async def collaborators(
        self, search: str | None = None, first: int | None = None, after: str | None = None
    ) -> CollaboratorConnection:
        return await collaborators_of(self.model, search, first, after)

    @classmethod
    def from_model(cls, m: UserModel) -> User:
        return cls(
            id=encode_id("User", m.id),
            email=m.email,
            role=RoleEnum(m.role),
            email_verified=m.email_verified,
            model=m,
        )


@strawberry.input(description="A new account and the profile created with it.")
class AccountRegisterInput:
    email: str = strawberry.field(
        description="The email to sign in with; must not already be registered."
    )
    password: str = strawberry.field(description="From 8 to 256 characters.")
    role: Role = strawberry.field(description="Whether you sign up as a creator or a brand.")
    display_name: str = strawberry.field(description="The name shown on your profile.")


@strawberry.input(description="Credentials to sign in with.")
class TokenCreateInput:
    email: str = strawberry.field(description="The email the account was registered with.")
    password: str = strawberry.field(description="The account password.")


@strawberry.input(description="A refresh token to exchange for a new token pair.")
class TokenRefreshInput:
    refresh_token: str = strawberry.field(
        description="A refresh token from signing in or an earlier refresh."
    )


@strawberry.input(description="The session to sign out of.")
class TokenRevokeInput:
    refresh_token: str = strawberry.field(description="The refresh token of the session to end.")


@strawberry.type(description="The result of accountRegister.")
class AccountRegisterPayload(Payload, errors=REQUEST_REFUSED):
    user: User | None = strawberry.field(
        default=None, description="The new user; null when registration failed."
    )
    access_token: str | None = strawberry.field(
        default=None,
        description="A short-lived bearer token for the new session; null on failure.",
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="A single-use token for tokenRefresh; null on failure."
    )


@strawberry.type(description="The result of tokenCreate.")
class TokenCreatePayload(Payload, errors=REQUEST_REFUSED):
    user: User | None = strawberry.field(
        default=None, description="The signed-in user; null when sign-in failed."
    )
    access_token: str | None = strawberry.field(
        default=None,
        description="A short-lived bearer token for the new session; null on failure.",
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="A single-use token for tokenRefresh; null on failure."
    )


@strawberry.type(description="The result of tokenRefresh.")
class TokenRefreshPayload(Payload, errors=REQUEST_REFUSED):
    access_token: str | None = strawberry.field(
        default=None, description="A new short-lived bearer token; null on failure."
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="The refresh token to use next time; null on failure."
    )


@strawberry.type(description="The result of tokenRevoke.")
class TokenRevokePayload(Payload, errors=REQUEST_REFUSED):
    revoked: bool = strawberry.field(
        default=False, description="True when the session was signed out."
    )


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user; null when anonymous.")
    async def viewer(self, info: Info) -> User | None:
        user = await info.context.viewer()
        return User.from_model(user) if user else None


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create an account and its profile, and sign in.")
    @refused_as(AccountRegisterPayload)
    async def account_register(
        self, info: Info, input: AccountRegisterInput
    ) -> AccountRegisterPayload:
        session = await auth.register(
            info.context.services,
            input.email,
            input.password,
            RoleEnum(input.role),
            input.display_name,
            client_address(info.context.request),
        )
        return AccountRegisterPayload(
            user=User.from_model(session.user),
            access_token=session.access_token,
            refresh_token=session.refresh_token,
        )

    @strawberry.mutation(description="Sign in with email and password.")
    @refused_as(TokenCreatePayload)
    async def token_create(self, info: Info, input: TokenCreateInput) -> TokenCreatePayload:
        session = await auth.sign_in(
            info.context.services, input.email, input.password, client_address(info.context.request)
        )
        return TokenCreatePayload(
            user=User.from_model(session.user),
            access_token=session.access_token,
            refresh_token=session.refresh_token,
        )

    @strawberry.mutation(
        description="Exchange a refresh token for a new pair. Each refresh token "
        "works once; reusing one signs out every session descended from it."
    )
    @refused_as(TokenRefreshPayload)
    async def token_refresh(self, info: Info, input: TokenRefreshInput) -> TokenRefreshPayload:
        session = await auth.refresh(info.context.services, input.refresh_token)
        return TokenRefreshPayload(
            access_token=session.access_token, refresh_token=session.refresh_token
        )

    @strawberry.mutation(description="Sign out: the refresh token and its family stop working.")
    @refused_as(TokenRevokePayload)
    async def token_revoke(self, info: Info, input: TokenRevokeInput) -> TokenRevokePayload:
        await auth.revoke(info.context.services, input.refresh_token)
        return TokenRevokePayload(revoked=True)
