"""Proving the account's email address: `accountEmailVerify`,
`accountEmailVerificationResend`, `accountEmailChange`, `accountEmailChangeConfirm`."""

from __future__ import annotations

import strawberry

from resolvers import email_verification as ops
from schema.accounts import User
from schema.context import Info
from schema.payloads import REQUEST_REFUSED, Payload, refused_as


@strawberry.input(description="The six-digit code emailed when you registered (or resent).")
class AccountEmailVerifyInput:
    code: str = strawberry.field(description="The code from the email; it works for 10 minutes.")


@strawberry.input(description="A new email address for the account, and the password.")
class AccountEmailChangeInput:
    new_email: str = strawberry.field(description="The address to use from now on.")
    password: str = strawberry.field(description="The account password, to confirm it is you.")


@strawberry.input(description="The six-digit code emailed to the new address.")
class AccountEmailChangeConfirmInput:
    code: str = strawberry.field(description="The code from the email; it works for 10 minutes.")


@strawberry.type(description="The result of accountEmailVerify.")
class AccountEmailVerifyPayload(Payload, errors=REQUEST_REFUSED):
    user: User | None = strawberry.field(
        default=None, description="The user, now verified; null when the code was refused."
    )


@strawberry.type(description="The result of accountEmailVerificationResend.")
class AccountEmailVerificationResendPayload(Payload, errors=REQUEST_REFUSED):
    sent: bool = strawberry.field(
        default=False, description="True when a new code is on its way (the old one stops working)."
    )


@strawberry.type(description="The result of accountEmailChange.")
class AccountEmailChangePayload(Payload, errors=REQUEST_REFUSED):
    pending_email: str | None = strawberry.field(
        default=None,
        description="The address a code was sent to; it becomes the account's once confirmed "
        "with accountEmailChangeConfirm. Null when refused.",
    )


@strawberry.type(description="The result of accountEmailChangeConfirm.")
class AccountEmailChangeConfirmPayload(Payload, errors=REQUEST_REFUSED):
    user: User | None = strawberry.field(
        default=None, description="The user with the new address; null when refused."
    )


@strawberry.type
class AccountEmailMutation:
    @strawberry.mutation(
        description="Verify the viewer's email address with the emailed code (5 tries per code)."
    )
    @refused_as(AccountEmailVerifyPayload)
    async def account_email_verify(
        self, info: Info, input: AccountEmailVerifyInput
    ) -> AccountEmailVerifyPayload:
        viewer = await info.context.require_viewer()
        user = await ops.verify_email(info.context.services, viewer, input.code)
        return AccountEmailVerifyPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Email a new verification code: at most once a minute and 5 times a day."
    )
    @refused_as(AccountEmailVerificationResendPayload)
    async def account_email_verification_resend(
        self, info: Info
    ) -> AccountEmailVerificationResendPayload:
        viewer = await info.context.require_viewer()
        await ops.resend_verification(info.context.services, viewer)
        return AccountEmailVerificationResendPayload(sent=True)

    @strawberry.mutation(
        description="Start moving the account to another email address: a code goes to the "
        "new address, and the account keeps its address until the code is confirmed."
    )
    @refused_as(AccountEmailChangePayload)
    async def account_email_change(
        self, info: Info, input: AccountEmailChangeInput
    ) -> AccountEmailChangePayload:
        viewer = await info.context.require_viewer()
        pending = await ops.request_email_change(
            info.context.services, viewer, input.new_email, input.password
        )
        return AccountEmailChangePayload(pending_email=pending)

    @strawberry.mutation(
        description="Confirm the new email address with the code sent to it; it becomes the "
        "account's address, verified."
    )
    @refused_as(AccountEmailChangeConfirmPayload)
    async def account_email_change_confirm(
        self, info: Info, input: AccountEmailChangeConfirmInput
    ) -> AccountEmailChangeConfirmPayload:
        viewer = await info.context.require_viewer()
        user = await ops.confirm_email_change(info.context.services, viewer, input.code)
        return AccountEmailChangeConfirmPayload(user=User.from_model(user))
