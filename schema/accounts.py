"""Accounts and sessions: `viewer`, `accountRegister`, `tokenCreate`, `tokenRefresh`,
`tokenRevoke`."""

from __future__ import annotations

import strawberry

from models import Role as RoleEnum
from models import User as UserModel
from resolvers import auth
from resolvers.errors import OperationError
from resolvers.notifications import unread_count as unread_notification_count
from resolvers.profiles import profile_of
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.node import Node, encode_id
from schema.profiles import Profile, Role


@strawberry.type(description="A signed-in person. Only the user themself can see their User.")
class User(Node):
    email: str = strawberry.field(description="The email address the user signs in with.")
    role: Role = strawberry.field(description="Whether the user is a creator or a brand.")  # type: ignore[valid-type]
    model: strawberry.Private[UserModel]

    @strawberry.field(description="The user's profile.")
    async def profile(self) -> Profile | None:
        return Profile.from_model(await profile_of(self.model))

    @strawberry.field(description="How many of your notifications are unread.")
    async def unread_notification_count(self) -> int:
        return await unread_notification_count(self.model.id)

    @classmethod
    def from_model(cls, m: UserModel) -> User:
        return cls(id=encode_id("User", m.id), email=m.email, role=RoleEnum(m.role), model=m)


@strawberry.input(description="A new account and the profile created with it.")
class AccountRegisterInput:
    email: str = strawberry.field(
        description="The email to sign in with; must not already be registered."
    )
    password: str = strawberry.field(description="From 8 to 256 characters.")
    role: Role = strawberry.field(description="Whether you sign up as a creator or a brand.")  # type: ignore[valid-type]
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
class AccountRegisterPayload:
    user: User | None = strawberry.field(description="The new user; null when registration failed.")
    access_token: str | None = strawberry.field(
        description="A short-lived bearer token for the new session; null on failure."
    )
    refresh_token: str | None = strawberry.field(
        description="A single-use token for tokenRefresh; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the request was refused; empty on success."
    )


@strawberry.type(description="The result of tokenCreate.")
class TokenCreatePayload:
    user: User | None = strawberry.field(
        description="The signed-in user; null when sign-in failed."
    )
    access_token: str | None = strawberry.field(
        description="A short-lived bearer token for the new session; null on failure."
    )
    refresh_token: str | None = strawberry.field(
        description="A single-use token for tokenRefresh; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the request was refused; empty on success."
    )


@strawberry.type(description="The result of tokenRefresh.")
class TokenRefreshPayload:
    access_token: str | None = strawberry.field(
        description="A new short-lived bearer token; null on failure."
    )
    refresh_token: str | None = strawberry.field(
        description="The refresh token to use next time; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the request was refused; empty on success."
    )


@strawberry.type(description="The result of tokenRevoke.")
class TokenRevokePayload:
    revoked: bool = strawberry.field(description="True when the session was signed out.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the request was refused; empty on success."
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
    async def account_register(
        self, info: Info, input: AccountRegisterInput
    ) -> AccountRegisterPayload:
        try:
            session = await auth.register(
                info.context.services,
                input.email,
                input.password,
                RoleEnum(input.role),
                input.display_name,
            )
        except OperationError as exc:
            return AccountRegisterPayload(
                user=None, access_token=None, refresh_token=None, user_errors=user_errors(exc)
            )
        return AccountRegisterPayload(
            user=User.from_model(session.user),
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            user_errors=[],
        )

    @strawberry.mutation(description="Sign in with email and password.")
    async def token_create(self, info: Info, input: TokenCreateInput) -> TokenCreatePayload:
        try:
            session = await auth.sign_in(info.context.services, input.email, input.password)
        except OperationError as exc:
            return TokenCreatePayload(
                user=None, access_token=None, refresh_token=None, user_errors=user_errors(exc)
            )
        return TokenCreatePayload(
            user=User.from_model(session.user),
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Exchange a refresh token for a new pair. Each refresh token "
        "works once; reusing one signs out every session descended from it."
    )
    async def token_refresh(self, info: Info, input: TokenRefreshInput) -> TokenRefreshPayload:
        try:
            session = await auth.refresh(info.context.services, input.refresh_token)
        except OperationError as exc:
            return TokenRefreshPayload(
                access_token=None, refresh_token=None, user_errors=user_errors(exc)
            )
        return TokenRefreshPayload(
            access_token=session.access_token, refresh_token=session.refresh_token, user_errors=[]
        )

    @strawberry.mutation(description="Sign out: the refresh token and its family stop working.")
    async def token_revoke(self, info: Info, input: TokenRevokeInput) -> TokenRevokePayload:
        try:
            await auth.revoke(info.context.services, input.refresh_token)
        except OperationError as exc:
            return TokenRevokePayload(revoked=False, user_errors=user_errors(exc))
        return TokenRevokePayload(revoked=True, user_errors=[])
