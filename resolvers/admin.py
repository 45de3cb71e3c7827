"""Operator controls: make an admin, see the numbers, find users, suspend, unsuspend, delete.

Who may call these is decided once, in the schema (schema/admin_permission.py); the functions
here take the acting admin for the log and for the rules that protect admins: nobody suspends
or deletes themself here, or the last admin (resolvers/admin_guard.py). Every change is logged
with the client address (resolvers/activity.py). Deleted accounts (shells, see
resolvers/account_deletion.py) are invisible here, as they are everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from models import (
    AccountState,
    ActivityAction,
    CollabRequest,
    CollabRequestStatus,
    Message,
    Profile,
    Role,
    SocialAccount,
    StatsSnapshot,
    User,
)
from resolvers.account_deletion import delete_account
from resolvers.account_events import AccountClosed, publish_account_closed
from resolvers.activity import record_activity
from resolvers.admin_guard import keep_an_admin
from resolvers.auth import normalize_email
from resolvers.cache_tags import announce_account_changed
from resolvers.cursors import Page, newest_first
from resolvers.errors import ErrorCode, OperationError
from resolvers.services import Services
from resolvers.text import clean_text, has_forbidden_characters
from resolvers.transactions import write_transaction

REASON_MAX = 500
SEARCH_MAX = 254
_CURSOR = "AdminUser"


class UnknownEmailError(LookupError):
    """``createadmin`` was given an email that no account has."""


async def make_admin(email: str) -> User:
    """``python app.py createadmin EMAIL``: the account with this email becomes an admin (its
    profile's copied role too, so discovery's role filter agrees). Already an admin: no change."""
    user = await User.get_or_none(email=normalize_email(email), deleted_at=None)
    if user is None:
        raise UnknownEmailError(email)
    if user.role != Role.ADMIN:
        async with write_transaction():
            await User.filter(id=user.id).update(role=Role.ADMIN)
            await Profile.filter(user_id=user.id).update(role=Role.ADMIN.value)
            await record_activity(None, ActivityAction.ADMIN_GRANTED, user, "command line")
        user.role = Role.ADMIN
    return user


@dataclass(frozen=True, slots=True)
class AdminStats:
    users_by_role: dict[Role, int]
    verified_users: int
    suspended_users: int
    active_last_day: int
    active_last_7_days: int
    syncs_last_7_days: int
    failing_accounts: int
    collab_requests_by_status: dict[CollabRequestStatus, int]
    messages: int
    messages_last_7_days: int


async def admin_stats() -> AdminStats:
    """The dashboard's numbers. "Active" means signed in or refreshed a token in the window
    (``User.last_seen_at``); "failing accounts" are platform accounts whose last sync did not
    succeed (private, not found, quota-limited, disconnected)."""
    now = datetime.now(UTC)
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    users = User.filter(deleted_at=None)
    by_role = {Role(role): n for role, n in await _counted(users, "role")}
    by_status = {
        CollabRequestStatus(status): n
        for status, n in await _counted(CollabRequest.all(), "status")
    }
    return AdminStats(
        users_by_role={role: by_role.get(role, 0) for role in Role},
        verified_users=await users.filter(email_verified=True).count(),
        suspended_users=await users.filter(suspended=True).count(),
        active_last_day=await users.filter(last_seen_at__gte=day).count(),
        active_last_7_days=await users.filter(last_seen_at__gte=week).count(),
        syncs_last_7_days=await StatsSnapshot.filter(taken_at__gte=week).count(),
        failing_accounts=await SocialAccount.exclude(state=AccountState.READY).count(),
        collab_requests_by_status={s: by_status.get(s, 0) for s in CollabRequestStatus},
        messages=await Message.filter(deleted_at=None).count(),
        messages_last_7_days=await Message.filter(deleted_at=None, created_at__gte=week).count(),
    )


async def _counted(query: QuerySet[Any], column: str) -> list[tuple[str, int]]:
    """How many rows of ``query`` hold each value of ``column`` (one GROUP BY query)."""
    rows = await query.annotate(n=Count("id")).group_by(column).values_list(column, "n")
    return [(str(value), int(n)) for value, n in rows]


@dataclass(frozen=True, slots=True)
class UserFilter:
    role: Role | None = None
    suspended: bool | None = None
    search: str | None = None  # any part of the email or the display name


async def list_users(f: UserFilter, first: int | None, after: str | None) -> Page[User]:
    """Accounts, newest first, matching every condition of ``f``."""
    query = User.filter(deleted_at=None)
    if f.role is not None:
        query = query.filter(role=f.role)
    if f.suspended is not None:
        query = query.filter(suspended=f.suspended)
    search = (f.search or "").strip()
    if search:
        if len(search) > SEARCH_MAX or has_forbidden_characters(search):
            raise OperationError.single(
                ("filter", "search"),
                f"Search with at most {SEARCH_MAX} visible characters.",
                ErrorCode.INVALID,
            )
        query = query.filter(
            Q(email__icontains=search) | Q(profile__display_name__icontains=search)
        )
    return await newest_first(query, _CURSOR, first, after)


async def find_user(user_id: int) -> User | None:
    return await User.get_or_none(id=user_id, deleted_at=None)


def _not_found() -> OperationError:
    return OperationError.single(("user",), "No user with this ID.", ErrorCode.NOT_FOUND)


def _not_yourself(admin: User, user_id: int, doing: str) -> None:
    if admin.id == user_id:
        raise OperationError.single(
            ("user",), f"You cannot {doing} your own account here.", ErrorCode.NOT_ALLOWED
        )


async def suspend_user(
    services: Services, admin: User, user_id: int, reason: str, client_address: str
) -> User:
    """Suspends at once: the next request with any of the user's tokens is refused, their open
    websockets close (4403), and their profile leaves discovery and every other reader's view."""
    text, errors = clean_text(reason, ("reason",), REASON_MAX, required=True)
    if errors:
        raise OperationError(errors)
    _not_yourself(admin, user_id, "suspend")
    async with write_transaction():
        user = await User.select_for_update().get_or_none(id=user_id, deleted_at=None)
        if user is None:
            raise _not_found()
        if user.suspended:
            raise OperationError.single(
                ("user",), "This user is already suspended.", ErrorCode.INVALID_STATE
            )
        await keep_an_admin(user, "user")
        user.suspended, user.suspended_at, user.suspension_reason = True, datetime.now(UTC), text
        await user.save(update_fields=["suspended", "suspended_at", "suspension_reason"])
        await record_activity(
            admin, ActivityAction.USER_SUSPENDED, user, client_address, {"reason": text}
        )
    await announce_account_changed(services, user.id)
    await publish_account_closed(services, user.id, AccountClosed.SUSPENDED)
    return user


async def unsuspend_user(
    services: Services, admin: User, user_id: int, client_address: str
) -> User:
    async with write_transaction():
        user = await User.select_for_update().get_or_none(id=user_id, deleted_at=None)
        if user is None:
            raise _not_found()
        if not user.suspended:
            raise OperationError.single(
                ("user",), "This user is not suspended.", ErrorCode.INVALID_STATE
            )
        user.suspended, user.suspended_at, user.suspension_reason = False, None, None
        await user.save(update_fields=["suspended", "suspended_at", "suspension_reason"])
        await record_activity(admin, ActivityAction.USER_UNSUSPENDED, user, client_address)
    await announce_account_changed(services, user.id)
    return user


async def delete_user(services: Services, admin: User, user_id: int, client_address: str) -> None:
    """Deletes another account through the one deletion path (resolvers/account_deletion.py);
    an admin deletes their own account with ``accountDelete`` and their password."""
    _not_yourself(admin, user_id, "delete")
    await delete_account(
        services, user_id, actor=admin, client_address=client_address, field="user"
    )
