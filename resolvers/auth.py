"""Accounts and sessions: register, sign in, rotate and revoke refresh tokens, authenticate."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from adapters.tokens import InvalidTokenError, TokenClaims
from models import ActivityAction, CodePurpose, MailKind, Profile, RefreshToken, Role, User
from resolvers.activity import record_activity
from resolvers.cache_tags import account_tags, announce_changed
from resolvers.email_codes import issue_code
from resolvers.errors import (
    ErrorCode,
    FieldError,
    NotAuthenticatedError,
    OperationError,
)
from resolvers.limits import address_key, enforce_limit
from resolvers.mail_outbox import deliver_soon
from resolvers.password_rules import PASSWORD_MAX, password_errors
from resolvers.profiles import validate_display_name
from resolvers.services import Services
from resolvers.transactions import write_transaction

EMAIL_MAX = 254
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+\Z")
_BAD_CREDENTIALS = "The email or password is incorrect."


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    access_token: str
    refresh_token: str


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def is_valid_email(email: str) -> bool:
    """A normalized email is plausible: one ``@``, a dotted domain, no spaces or control or
    format characters (PostgreSQL refuses NUL in text, and no mailbox has them)."""
    return (
        len(email) <= EMAIL_MAX
        and _EMAIL.match(email) is not None
        and not any(unicodedata.category(ch).startswith("C") for ch in email)
    )


def _validate_registration(email: str, password: str, display_name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not email:
        errors.append(FieldError(("email",), "Enter an email address.", ErrorCode.REQUIRED))
    elif not is_valid_email(email):
        errors.append(FieldError(("email",), "Enter a valid email address.", ErrorCode.INVALID))
    errors.extend(password_errors(password, ("password",)))
    errors.extend(validate_display_name(display_name, ("displayName",)))
    return errors


async def register(
    services: Services,
    email: str,
    password: str,
    role: Role,
    display_name: str,
    client_address: str,
) -> Session:
    """Creates the account and signs in, and mails a code to verify the address (queued in the
    account's transaction, sent after commit). Limited per client address, and the limit is
    counted before the password is hashed, so a flood of registrations cannot buy argon2 time."""
    await enforce_limit(services.register_limiter, address_key(client_address), "registrations")
    email = normalize_email(email)
    display_name = display_name.strip()
    errors = _validate_registration(email, password, display_name)
    if role == Role.ADMIN:
        errors.append(FieldError(("role",), "Choose CREATOR or BRAND.", ErrorCode.INVALID))
    if errors:
        raise OperationError(errors)
    password_hash = await services.passwords.hash(password)
    duplicate = OperationError.single(
        ("email",), "An account with this email already exists.", ErrorCode.DUPLICATE
    )
    if await User.filter(email=email).exists():
        raise duplicate
    try:
        async with write_transaction():
            user = await User.create(email=email, password_hash=password_hash, role=role)
            profile = await Profile.create(user=user, role=role.value, display_name=display_name)
            mail = await issue_code(
                services, user, CodePurpose.VERIFY_EMAIL, MailKind.EMAIL_VERIFICATION, email
            )
    except IntegrityError as exc:  # a concurrent registration of the same email won the race
        raise duplicate from exc
    # A new profile joins discovery, and answers naming its id (read before it existed) change.
    await announce_changed(services, account_tags(user.id, profile.id))
    deliver_soon(services, [mail])
    return await _start_session(services, user)


async def sign_in(services: Services, email: str, password: str, client_address: str) -> Session:
    """Signs in. Attempts are limited per client address and per email from that address, never
    per email alone: a stranger guessing from elsewhere spends their own attempts, not the
    user's. The keys do not depend on whether the account exists, so the limit reveals nothing
    about which emails have accounts."""
    email = normalize_email(email)
    address = address_key(client_address)
    await enforce_limit(services.sign_in_address_limiter, address, "sign-in attempts")
    await enforce_limit(
        services.sign_in_limiter, f"email:{email[:EMAIL_MAX]}|{address}", "sign-in attempts"
    )
    # No account has an email that registration would refuse; don't send one to the database.
    user = await User.get_or_none(email=email) if is_valid_email(email) else None
    # Verify even when the user is unknown, so the two failures take the same time.
    ok = await services.passwords.verify(
        user.password_hash if user else None, password[: PASSWORD_MAX + 1]
    )
    if user is None or not ok:
        # The same write on both failures, so their timing matches. Only a plausible email is
        # kept: what registration would refuse (NUL, controls) PostgreSQL's JSON refuses too.
        tried = email if is_valid_email(email) else None
        await record_activity(
            None, ActivityAction.SIGN_IN_FAILED, user, client_address, {"email": tried}
        )
        raise OperationError.single(None, _BAD_CREDENTIALS, ErrorCode.INVALID_CREDENTIALS)
    if user.suspended:
        await record_activity(
            user, ActivityAction.SIGN_IN_FAILED, user, client_address, {"reason": "suspended"}
        )
        raise _suspended()
    await record_activity(user, ActivityAction.SIGN_IN, user, client_address)
    return await _start_session(services, user)


async def refresh(services: Services, refresh_token: str) -> Session:
    """Rotates a refresh token. A token that was already rotated has leaked or been replayed:
    its whole family is revoked, signing out every session that descends from it."""
    claims = _decode_refresh(services, refresh_token)
    row = await RefreshToken.get_or_none(jti_hash=_hash(claims.jti or ""))
    if row is None or row.revoked_at is not None or row.user_id != claims.user_id:
        raise _invalid_refresh()
    user = await User.get_or_none(id=claims.user_id)
    if user is None:
        raise _invalid_refresh()
    if user.suspended:  # refused before the claim, so the token is not used up
        raise _suspended()
    # Claim the token atomically: of two concurrent refreshes with one token, exactly one wins.
    # The successor is inserted in the claim's transaction, so a loser (which waits on the
    # claimed row until the winner commits) finds it when it revokes the family.
    async with write_transaction():
        claimed = await RefreshToken.filter(id=row.id, used_at=None, revoked_at=None).update(
            used_at=datetime.now(UTC)
        )
        session = await _issue(services, user, row.family) if claimed else None
    if session is None:
        if await RefreshToken.filter(id=row.id, used_at=None).exists():
            raise _invalid_refresh()  # signed out meanwhile: revoked, never used
        await _revoke_family(row.family)
        raise OperationError.single(
            ("refreshToken",),
            "This refresh token was already used; every session from it has been signed out.",
            ErrorCode.TOKEN_REUSED,
        )
    return session


async def revoke(services: Services, refresh_token: str) -> None:
    """Signs out: the refresh token's whole family stops working."""
    claims = _decode_refresh(services, refresh_token)
    row = await RefreshToken.get_or_none(jti_hash=_hash(claims.jti or ""))
    if row is None or row.user_id != claims.user_id:
        raise _invalid_refresh()
    await _revoke_family(row.family)


def bearer_token(authorization: object) -> str | None:
    """The token of an "Authorization: Bearer <token>" value (scheme case-insensitive), or None
    when it is not one. Each caller words its own refusal, as each client is told differently."""
    if not isinstance(authorization, str):
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


async def authenticate(services: Services, access_token: str) -> User:
    try:
        claims = services.tokens.decode(access_token, "access")
    except InvalidTokenError as exc:
        raise NotAuthenticatedError(exc.reason) from exc
    user = await User.get_or_none(id=claims.user_id)
    if user is None or user.deleted_at is not None:
        raise NotAuthenticatedError("The token is invalid.")
    if user.suspended:
        raise NotAuthenticatedError("This account is suspended.")
    return user


async def start_session(services: Services, user: User) -> Session:
    """A new session (a new refresh-token family) for a user whose identity is proven."""
    return await _start_session(services, user)


async def revoke_all_sessions(user_id: int) -> None:
    """Signs the user out everywhere: every refresh-token family. Inside the caller's
    transaction, the user's tokens are locked first, as ``_revoke_family`` does, so a rotation
    in flight either commits its successor before (and it is revoked too) or finds its token
    revoked. Access tokens already issued live out their minutes."""
    await RefreshToken.filter(user_id=user_id).order_by("id").select_for_update().only("id")
    await RefreshToken.filter(user_id=user_id, revoked_at=None).update(revoked_at=datetime.now(UTC))


async def _start_session(services: Services, user: User) -> Session:
    return await _issue(services, user, secrets.token_hex(16))


async def _issue(services: Services, user: User, family: str) -> Session:
    """Every sign-in and refresh passes here: it is when an account was last seen (adminStats)."""
    token, jti, expires = services.tokens.issue_refresh(user.id, family)
    user.last_seen_at = datetime.now(UTC)
    await User.filter(id=user.id).update(last_seen_at=user.last_seen_at)
    await RefreshToken.create(
        user=user,
        jti_hash=_hash(jti),
        family=family,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
    return Session(user, services.tokens.issue_access(user.id), token)


def _decode_refresh(services: Services, token: str) -> TokenClaims:
    try:
        return services.tokens.decode(token, "refresh")
    except InvalidTokenError as exc:
        raise OperationError.single(("refreshToken",), exc.reason, ErrorCode.INVALID_TOKEN) from exc


async def _revoke_family(family: str) -> None:
    async with write_transaction():
        # Lock the family first: this waits for a rotation in flight to commit, so the revoking
        # statement (a fresh snapshot under READ COMMITTED) also sees the successor it inserted.
        # (A model query: Tortoise drops FOR UPDATE from values_list queries.)
        await RefreshToken.filter(family=family).order_by("id").select_for_update().only("id")
        await RefreshToken.filter(family=family, revoked_at=None).update(
            revoked_at=datetime.now(UTC)
        )


def _suspended() -> OperationError:
    return OperationError.single(None, "This account is suspended.", ErrorCode.ACCOUNT_SUSPENDED)


def _invalid_refresh() -> OperationError:
    return OperationError.single(
        ("refreshToken",), "The refresh token is invalid.", ErrorCode.INVALID_TOKEN
    )


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
