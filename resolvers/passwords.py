"""Forgotten and changed passwords.

A reset request answers the same, in the same time, whether or not the address has an account:
the request itself only checks its limit and the address's form, then hands the address to a
background task that looks it up and, for a real user, stores a code and mails it. So no path
of the response touches the database or a mail server, and its time says nothing. A reset or a
change signs the user out everywhere (every refresh-token family) and tells them by mail.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from models import ActivityAction, CodePurpose, MailKind, User
from resolvers.activity import record_activity
from resolvers.auth import (
    Session,
    is_valid_email,
    normalize_email,
    revoke_all_sessions,
    start_session,
)
from resolvers.cache_tags import announce_changed, viewer_tags
from resolvers.email_codes import (
    check_code,
    claim_code,
    invalid_code,
    issue_code,
    lock_user,
    wait_before_new_code,
)
from resolvers.errors import ErrorCode, OperationError
from resolvers.limits import address_key, enforce_limit
from resolvers.mail_outbox import deliver, deliver_soon, queue_mail
from resolvers.password_rules import PASSWORD_MAX, password_errors
from resolvers.services import Services
from resolvers.transactions import write_transaction

log = logging.getLogger("creatorgraph.passwords")


async def request_reset(services: Services, email: str, client_address: str) -> None:
    """Starts a reset for ``email`` if it has an account; says nothing either way."""
    await enforce_limit(
        services.password_reset_limiter, address_key(client_address), "password reset requests"
    )
    email = normalize_email(email)
    if not is_valid_email(email):  # the form of an address, not whether it has an account
        raise OperationError.single(("email",), "Enter a valid email address.", ErrorCode.INVALID)
    services.background.spawn(_mail_reset_code(services, email), name="password reset")


async def _mail_reset_code(services: Services, email: str) -> None:
    user = await User.get_or_none(email=email)
    if user is None or user.suspended:
        return
    async with write_transaction():
        await lock_user(user.id)
        # Too soon or too many today: nothing is sent, and the requester is not told (telling
        # would say the address has an account).
        if await wait_before_new_code(user.id, CodePurpose.RESET_PASSWORD, datetime.now(UTC)):
            log.info("password reset for user %d not mailed: too soon after the last", user.id)
            return
        mail = await issue_code(
            services, user, CodePurpose.RESET_PASSWORD, MailKind.PASSWORD_RESET, user.email
        )
    await deliver(services.mailer, [mail.id])


async def confirm_reset(
    services: Services, email: str, code: str, new_password: str, client_address: str
) -> None:
    """Sets a new password with the mailed code. A wrong code, an unknown address and a
    suspended account answer alike."""
    await enforce_limit(
        services.sign_in_address_limiter, address_key(client_address), "password reset attempts"
    )
    errors = password_errors(new_password, ("newPassword",))
    if errors:
        raise OperationError(errors)
    email = normalize_email(email)
    user = await User.get_or_none(email=email) if is_valid_email(email) else None
    found = (
        await check_code(services, user.id, CodePurpose.RESET_PASSWORD, code)
        if user is not None
        else None
    )
    if user is None or found is None:
        raise invalid_code()
    password_hash = await services.passwords.hash(new_password)
    async with write_transaction():
        if not await claim_code(found):
            raise invalid_code()
        # Receiving the code at the address proves it, as verification would.
        await User.filter(id=user.id).update(password_hash=password_hash, email_verified=True)
        await revoke_all_sessions(user.id)
        mail = await queue_mail(user.email, MailKind.PASSWORD_CHANGED, email=user.email)
        # In the transaction: a log write failing after the commit would report a changed
        # password as not changed.
        await record_activity(user, ActivityAction.PASSWORD_RESET, user, client_address)
    await announce_changed(services, viewer_tags(user.id))  # the address is verified now
    deliver_soon(services, [mail])


async def change_password(
    services: Services, user: User, current_password: str, new_password: str, client_address: str
) -> Session:
    """Replaces the password of a signed-in user who knows it; every other session is signed
    out, and this one continues with the fresh tokens returned."""
    await enforce_limit(services.sign_in_limiter, f"user:{user.id}", "password attempts")
    if not await services.passwords.verify(
        user.password_hash, current_password[: PASSWORD_MAX + 1]
    ):
        raise OperationError.single(
            ("currentPassword",),
            "The current password is incorrect.",
            ErrorCode.INVALID_CREDENTIALS,
        )
    errors = password_errors(new_password, ("newPassword",))
    if errors:
        raise OperationError(errors)
    password_hash = await services.passwords.hash(new_password)
    async with write_transaction():
        await User.filter(id=user.id).update(password_hash=password_hash)
        await revoke_all_sessions(user.id)
        mail = await queue_mail(user.email, MailKind.PASSWORD_CHANGED, email=user.email)
        user.password_hash = password_hash
        session = await start_session(services, user)
        await record_activity(user, ActivityAction.PASSWORD_CHANGED, user, client_address)
    deliver_soon(services, [mail])
    return session
