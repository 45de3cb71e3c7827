"""Forgotten and changed passwords: `passwordResetRequest`, `passwordResetConfirm`,
`passwordChange`."""

from __future__ import annotations

import strawberry

from resolvers import passwords as ops
from schema.client_address import client_address
from schema.context import Info
from schema.payloads import REQUEST_REFUSED, Payload, refused_as


@strawberry.input(description="The address of the account whose password was forgotten.")
class PasswordResetRequestInput:
    email: str = strawberry.field(description="The email the account was registered with.")


@strawberry.input(description="A new password, proven by the code emailed for the reset.")
class PasswordResetConfirmInput:
    email: str = strawberry.field(description="The email the reset was requested for.")
    code: str = strawberry.field(description="The six-digit code from the email.")
    new_password: str = strawberry.field(
        description="From 8 to 256 characters, not one of the most common passwords."
    )


@strawberry.input(description="The current password and the one to replace it.")
class PasswordChangeInput:
    current_password: str = strawberry.field(description="The password in use now.")
    new_password: str = strawberry.field(
        description="From 8 to 256 characters, not one of the most common passwords."
    )


@strawberry.type(description="The result of passwordResetRequest.")
class PasswordResetRequestPayload(Payload, errors=REQUEST_REFUSED):
    accepted: bool = strawberry.field(
        default=False,
        description="True whenever the request was taken, whether or not the address has an "
        "account: if it has, a code is on its way.",
    )


@strawberry.type(description="The result of passwordResetConfirm.")
class PasswordResetConfirmPayload(Payload, errors=REQUEST_REFUSED):
    reset: bool = strawberry.field(
        default=False,
        description="True when the password was replaced; every session was signed out, so "
        "sign in with the new one.",
    )


@strawberry.type(description="The result of passwordChange.")
class PasswordChangePayload(Payload, errors=REQUEST_REFUSED):
    access_token: str | None = strawberry.field(
        default=None, description="A bearer token for this session; null on failure."
    )
    refresh_token: str | None = strawberry.field(
        default=None,
        description="The refresh token for this session (all others were signed out); null "
        "on failure.",
    )


@strawberry.type
class PasswordMutation:
    @strawberry.mutation(
        description="Email a code to reset a forgotten password. Answers the same whether or "
        "not the address has an account."
    )
    @refused_as(PasswordResetRequestPayload)
    async def password_reset_request(
        self, info: Info, input: PasswordResetRequestInput
    ) -> PasswordResetRequestPayload:
        await ops.request_reset(
            info.context.services, input.email, client_address(info.context.request)
        )
        return PasswordResetRequestPayload(accepted=True)

    @strawberry.mutation(
        description="Set a new password with the emailed code (5 tries per code); signs out "
        "every session of the account."
    )
    @refused_as(PasswordResetConfirmPayload)
    async def password_reset_confirm(
        self, info: Info, input: PasswordResetConfirmInput
    ) -> PasswordResetConfirmPayload:
        await ops.confirm_reset(
            info.context.services,
            input.email,
            input.code,
            input.new_password,
            client_address(info.context.request),
        )
        return PasswordResetConfirmPayload(reset=True)

    @strawberry.mutation(
        description="Change the viewer's password; signs out every other session and returns "
        "fresh tokens for this one."
    )
    @refused_as(PasswordChangePayload)
    async def password_change(
        self, info: Info, input: PasswordChangeInput
    ) -> PasswordChangePayload:
        viewer = await info.context.require_viewer()
        session = await ops.change_password(
            info.context.services,
            viewer,
            input.current_password,
            input.new_password,
            client_address(info.context.request),
        )
        return PasswordChangePayload(
            access_token=session.access_token, refresh_token=session.refresh_token
        )
