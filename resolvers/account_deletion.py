"""Deleting an account: one path for ``accountDelete`` (the user, with their password) and
``adminUserDelete`` (an admin).

What goes: the profile with its platform accounts, stats history and recent posts, every
refresh token (so every session ends), OAuth connections (their grants revoked at the platforms
after the commit, best effort) and pending OAuth states, one-time codes, mail addressed to the
user, stored idempotent responses, uploaded avatar files (after the commit), the collaboration
requests sent and received (and the notifications about them), the user's own notifications,
and the email address and password hash.

What stays: the ``users`` row as a shell (id, role, dates, ``deleted_at``), so the messages the
user sent keep a valid sender and the people who received them keep their conversations. The
API shows that sender as "Deleted user" (``Person.isDeleted``). The email becomes
``deleted:<id>``, which no sign-in can match and which frees the address for a new account:
keeping it would keep personal data of someone who asked to be forgotten. The activity log
keeps its entries, which name accounts by id only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q

from models import (
    ActivityAction,
    CollabRequest,
    EmailCode,
    IdempotencyKey,
    MailMessage,
    Notification,
    OAuthConnection,
    OAuthState,
    Post,
    Profile,
    RefreshToken,
    SocialAccount,
    StatsSnapshot,
    User,
)
from resolvers.account_events import AccountClosed, publish_account_closed
from resolvers.activity import record_activity
from resolvers.admin_guard import keep_an_admin
from resolvers.avatar_urls import AVATARS
from resolvers.cache_tags import announce_account_changed, profile_id_of
from resolvers.errors import ErrorCode, OperationError
from resolvers.limits import enforce_limit
from resolvers.oauth_tokens import OpenTokens, open_tokens, revoke_tokens
from resolvers.password_rules import PASSWORD_MAX
from resolvers.services import Services
from resolvers.transactions import write_transaction


def deleted_email(user_id: int) -> str:
    return f"deleted:{user_id}"


async def delete_account(
    services: Services,
    user_id: int,
    *,
    actor: User,
    client_address: str,
    field: str | None = None,
) -> None:
    """Deletes the account ``user_id`` as above, logging who did it. Refused with NOT_FOUND when
    there is no such (undeleted) account, and with NOT_ALLOWED for the last admin."""
    grants: list[tuple[str, int, OpenTokens]] = []
    async with write_transaction():
        user = await User.select_for_update().get_or_none(id=user_id, deleted_at=None)
        if user is None:
            raise OperationError.single(
                (field,) if field else None, "No user with this ID.", ErrorCode.NOT_FOUND
            )
        await keep_an_admin(user, field)
        requests = await CollabRequest.filter(
            Q(sender_id=user_id) | Q(recipient_id=user_id)
        ).values_list("id", flat=True)
        if requests:
            await Notification.filter(
                subject_type="CollabRequest", subject_id__in=requests
            ).delete()
            await CollabRequest.filter(id__in=requests).delete()
        await Notification.filter(recipient_id=user_id).delete()
        await RefreshToken.filter(user_id=user_id).delete()
        await EmailCode.filter(user_id=user_id).delete()
        await MailMessage.filter(recipient=user.email).delete()
        await OAuthState.filter(user_id=user_id).delete()
        await IdempotencyKey.filter(scope=f"user:{user_id}").delete()
        accounts = await SocialAccount.filter(profile__user_id=user_id)
        if accounts:
            ids = [a.id for a in accounts]
            for connection in await OAuthConnection.filter(account_id__in=ids):
                account = next(a for a in accounts if a.id == connection.account_id)  # type: ignore[attr-defined]  # Tortoise adds the FK id column
                if services.token_cipher is not None:
                    tokens = open_tokens(services.token_cipher, connection, account)
                    grants.append((str(account.platform), account.id, tokens))
            await OAuthConnection.filter(account_id__in=ids).delete()
            await Post.filter(account_id__in=ids).delete()
            await StatsSnapshot.filter(account_id__in=ids).delete()
            await SocialAccount.filter(id__in=ids).delete()
        profile_id = await profile_id_of(user_id)
        await Profile.filter(user_id=user_id).delete()
        own = actor.id == user_id
        await User.filter(id=user_id).update(
            email=deleted_email(user_id),
            password_hash="",
            email_verified=False,
            suspension_reason=None,
            last_seen_at=None,
            deleted_at=datetime.now(UTC),
        )
        await record_activity(
            actor,
            ActivityAction.ACCOUNT_DELETED if own else ActivityAction.USER_DELETED,
            user_id,
            client_address,
        )
    await announce_account_changed(services, user_id, profile_id)
    await publish_account_closed(services, user_id, AccountClosed.DELETED)
    # After the commit: the platforms and the file store are outside the transaction.
    for platform, account_id, tokens in grants:
        await revoke_tokens(services, platform, account_id, tokens)
    await services.media.storage.delete(f"{AVATARS}/{user_id}")


async def delete_own_account(
    services: Services, user: User, password: str, client_address: str
) -> None:
    """``accountDelete``: the user confirms with their password. Attempts count against the
    sign-in limit, keyed by the user, so a stolen access token cannot be used to guess the
    password; a wrong password deletes nothing."""
    await enforce_limit(services.sign_in_limiter, f"user:{user.id}", "password attempts")
    if not await services.passwords.verify(user.password_hash, password[: PASSWORD_MAX + 1]):
        raise OperationError.single(
            ("password",), "The password is incorrect.", ErrorCode.INVALID_CREDENTIALS
        )
    await delete_account(
        services, user.id, actor=user, client_address=client_address, field="password"
    )
