"""Proving an email address: verifying the one registered with, resending its code, and
changing the address (the new one is proven before it takes effect).

What an unverified user may not do is decided in one place, ``require_verified``: by default
they may do everything but send chat messages and collaboration requests (``UNVERIFIED_MAY``
lifts either), the cheapest stop for spam from throwaway addresses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from models import CodePurpose, MailKind, User
from resolvers.auth import is_valid_email, normalize_email
from resolvers.cache_tags import announce_changed, viewer_tags
from resolvers.email_codes import (
    check_code,
    claim_code,
    invalid_code,
    issue_code,
    lock_user,
    wait_before_new_code,
)
from resolvers.errors import ErrorCode, OperationError, RateLimitedError
from resolvers.limits import enforce_limit
from resolvers.mail_outbox import deliver_soon
from resolvers.password_rules import PASSWORD_MAX
from resolvers.services import Services
from resolvers.transactions import write_transaction

MESSAGES = "messages"  # settings.UNVERIFIED_ACTIONS
COLLAB_REQUESTS = "collab-requests"


def require_verified(services: Services, user: User, action: str) -> None:
    """Refuses ``action`` (MESSAGES, COLLAB_REQUESTS) to a user whose address is unverified,
    unless ``UNVERIFIED_MAY`` allows it."""
    if not user.email_verified and action not in services.unverified_may:
        raise OperationError.single(
            None,
            "Verify your email address first: enter the code we emailed you "
            "(accountEmailVerify), or ask for a new one.",
            ErrorCode.EMAIL_NOT_VERIFIED,
        )


async def verify_email(services: Services, user: User, code: str) -> User:
    if user.email_verified:
        raise _already_verified()
    found = await check_code(services, user.id, CodePurpose.VERIFY_EMAIL, code)
    if found is None:
        raise invalid_code()
    async with write_transaction():
        if not await claim_code(found):
            raise invalid_code()
        await User.filter(id=user.id).update(email_verified=True)
    await announce_changed(services, viewer_tags(user.id))
    user.email_verified = True
    return user


async def resend_verification(services: Services, user: User) -> None:
    """A new code to the registered address, at most once a minute and 5 times a day."""
    if user.email_verified:
        raise _already_verified()
    async with write_transaction():
        await lock_user(user.id)
        await _refuse_when_too_soon(user, CodePurpose.VERIFY_EMAIL, "verification emails")
        mail = await issue_code(
            services, user, CodePurpose.VERIFY_EMAIL, MailKind.EMAIL_VERIFICATION, user.email
        )
    deliver_soon(services, [mail])


async def request_email_change(
    services: Services, user: User, new_email: str, password: str
) -> str:
    """Mails a code to ``new_email``; the account keeps its address until the code is
    confirmed. The password is asked for, so a session left open cannot move the account to
    another mailbox (and with it, password resets). Returns the normalized new address."""
    await enforce_limit(services.sign_in_limiter, f"user:{user.id}", "password attempts")
    new_email = normalize_email(new_email)
    if not is_valid_email(new_email):
        raise OperationError.single(
            ("newEmail",), "Enter a valid email address.", ErrorCode.INVALID
        )
    if new_email == user.email:
        raise OperationError.single(
            ("newEmail",), "This is already your email address.", ErrorCode.INVALID
        )
    if not await services.passwords.verify(user.password_hash, password[: PASSWORD_MAX + 1]):
        raise OperationError.single(
            ("password",), "The password is incorrect.", ErrorCode.INVALID_CREDENTIALS
        )
    if await User.filter(email=new_email).exists():
        raise _taken()
    async with write_transaction():
        await lock_user(user.id)
        await _refuse_when_too_soon(user, CodePurpose.CHANGE_EMAIL, "email change codes")
        mail = await issue_code(
            services, user, CodePurpose.CHANGE_EMAIL, MailKind.EMAIL_CHANGE, new_email, new_email
        )
    deliver_soon(services, [mail])
    return new_email


async def confirm_email_change(services: Services, user: User, code: str) -> User:
    """The code mailed to the new address proves it: it becomes the account's, verified."""
    found = await check_code(services, user.id, CodePurpose.CHANGE_EMAIL, code)
    if found is None or found.new_email is None:
        raise invalid_code()
    new_email = found.new_email
    try:
        async with write_transaction():
            if not await claim_code(found):
                raise invalid_code()
            await User.filter(id=user.id).update(email=new_email, email_verified=True)
    except IntegrityError as exc:  # registered by someone else since the code was sent
        raise _taken() from exc
    await announce_changed(services, viewer_tags(user.id))
    user.email, user.email_verified = new_email, True
    return user


async def _refuse_when_too_soon(user: User, purpose: CodePurpose, what: str) -> None:
    wait = await wait_before_new_code(user.id, purpose, datetime.now(UTC))
    if wait is not None:
        raise RateLimitedError(wait, what)


def _already_verified() -> OperationError:
    return OperationError.single(
        None, "Your email address is already verified.", ErrorCode.INVALID_STATE
    )


def _taken() -> OperationError:
    return OperationError.single(
        ("newEmail",), "An account with this email already exists.", ErrorCode.DUPLICATE
    )
