"""Operator controls: `adminStats`, `adminUsers`, `adminUser`, `adminActivityLog`, and
`adminUserSuspend` / `adminUserUnsuspend` / `adminUserDelete`. Every field carries the one
permission class `IsAdmin` (schema/admin_permission.py)."""

from __future__ import annotations

from datetime import datetime

import orjson
import strawberry

from models import ActivityAction as ActivityActionEnum
from models import ActivityEntry as ActivityEntryModel
from models import Role as RoleEnum
from models import User as UserModel
from resolvers import activity as activity_ops
from resolvers import admin as ops
from resolvers.cursors import PAGE_MAX
from schema.admin_permission import IsAdmin, acting_admin
from schema.client_address import client_address
from schema.collab import CollabRequestStatus
from schema.context import Info
from schema.enums import Role
from schema.errors import refused_as_bad_input
from schema.input_ids import pk_of
from schema.node import encode_id
from schema.payloads import Payload, refused_as
from schema.profiles import Profile
from schema.relay import PageInfo, cursored, page_info

strawberry.enum(
    ActivityActionEnum, name="ActivityAction", description="What happened, in the activity log."
)
ActivityAction = ActivityActionEnum


@strawberry.type(description="How many users have one role.")
class RoleCount:
    role: Role = strawberry.field(description="The role.")
    count: int = strawberry.field(description="Users with it (deleted accounts not counted).")


@strawberry.type(description="How many collaboration requests stand at one status.")
class CollabRequestStatusCount:
    status: CollabRequestStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Requests at it.")


@strawberry.type(description="The admin dashboard's numbers.")
class AdminStats:
    users_by_role: list[RoleCount] = strawberry.field(description="Users per role.")
    verified_users: int = strawberry.field(description="Users whose email is verified.")
    suspended_users: int = strawberry.field(description="Users suspended now.")
    active_last_day: int = strawberry.field(
        description="Users who signed in or refreshed a token in the last 24 hours."
    )
    active_last_7_days: int = strawberry.field(
        description="Users who signed in or refreshed a token in the last 7 days."
    )
    syncs_last_7_days: int = strawberry.field(
        description="Stats snapshots saved (one per successful sync of an account) in 7 days."
    )
    failing_accounts: int = strawberry.field(
        description="Platform accounts whose last sync did not succeed (private, not found, "
        "quota-limited or disconnected)."
    )
    collab_requests_by_status: list[CollabRequestStatusCount] = strawberry.field(
        description="Collaboration requests per status; ACCEPTED counts collaborations."
    )
    messages: int = strawberry.field(description="Chat messages sent (deleted ones not counted).")
    messages_last_7_days: int = strawberry.field(description="Chat messages sent in 7 days.")

    @classmethod
    def from_stats(cls, s: ops.AdminStats) -> AdminStats:
        return cls(
            users_by_role=[RoleCount(role=r, count=n) for r, n in s.users_by_role.items()],
            verified_users=s.verified_users,
            suspended_users=s.suspended_users,
            active_last_day=s.active_last_day,
            active_last_7_days=s.active_last_7_days,
            syncs_last_7_days=s.syncs_last_7_days,
            failing_accounts=s.failing_accounts,
            collab_requests_by_status=[
                CollabRequestStatusCount(status=st, count=n)
                for st, n in s.collab_requests_by_status.items()
            ],
            messages=s.messages,
            messages_last_7_days=s.messages_last_7_days,
        )


@strawberry.type(
    description="An account as admins see it. `id` is the user's User ID (what the admin "
    "mutations take)."
)
class AdminUser:
    id: strawberry.ID = strawberry.field(description="The user's User ID.")
    email: str = strawberry.field(description="The email they sign in with.")
    role: Role = strawberry.field(description="Their role.")
    email_verified: bool = strawberry.field(description="Whether the email is verified.")
    suspended: bool = strawberry.field(description="Whether the account is suspended.")
    suspended_at: datetime | None = strawberry.field(description="When it was suspended.")
    suspension_reason: str | None = strawberry.field(
        description="The reason the suspending admin gave."
    )
    last_seen_at: datetime | None = strawberry.field(
        description="When they last signed in or refreshed a token."
    )
    created_at: datetime = strawberry.field(description="When the account was registered.")
    model: strawberry.Private[UserModel]

    @strawberry.field(description="Their profile, public or not.")
    async def profile(self, info: Info) -> Profile | None:
        profile = await info.context.loaders.profiles_by_user.load(self.model.id)
        return Profile.from_model(profile) if profile else None

    @classmethod
    def from_model(cls, m: UserModel) -> AdminUser:
        return cls(
            id=encode_id("User", m.id),
            email=m.email,
            role=RoleEnum(m.role),
            email_verified=m.email_verified,
            suspended=m.suspended,
            suspended_at=m.suspended_at,
            suspension_reason=m.suspension_reason,
            last_seen_at=m.last_seen_at,
            created_at=m.created_at,
            model=m,
        )


@strawberry.type(description="An account in a page of accounts.")
class AdminUserEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: AdminUser = strawberry.field(description="The account.")


@strawberry.type(description="Accounts, newest first.")
class AdminUserConnection:
    edges: list[AdminUserEdge] = strawberry.field(description="This page's accounts.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.input(description="Which accounts to list; every condition given must hold.")
class AdminUserFilter:
    role: Role | None = strawberry.field(default=None, description="Only this role.")
    suspended: bool | None = strawberry.field(
        default=None, description="Only suspended (true) or only unsuspended (false) accounts."
    )
    search: str | None = strawberry.field(
        default=None, description="Any part of the email or the display name, any case."
    )


@strawberry.type(description="One admin action or security event.")
class ActivityLogEntry:
    action: ActivityAction = strawberry.field(description="What happened.")
    actor_id: strawberry.ID | None = strawberry.field(
        description="The User ID of who did it; null for an anonymous client or the command line."
    )
    target_id: strawberry.ID | None = strawberry.field(
        description="The User ID of the account it concerned, if any."
    )
    client_address: str = strawberry.field(
        description="The client's address, as the server's edge decided it (proxies trusted "
        "through TRUSTED_PROXIES), or `command line`."
    )
    detail: str = strawberry.field(
        description="More about it, as a JSON object: the reason of a suspension, the email "
        "tried at a failed sign-in."
    )
    created_at: datetime = strawberry.field(description="When it happened.")
    model: strawberry.Private[ActivityEntryModel]

    @strawberry.field(description="Who did it, while the account exists.")
    async def actor(self, info: Info) -> AdminUser | None:
        return await _live_account(info, self.model.actor_id)

    @strawberry.field(description="The account it concerned, while it exists.")
    async def target(self, info: Info) -> AdminUser | None:
        return await _live_account(info, self.model.target_id)

    @classmethod
    def from_model(cls, m: ActivityEntryModel) -> ActivityLogEntry:
        return cls(
            action=ActivityActionEnum(m.action),
            actor_id=encode_id("User", m.actor_id) if m.actor_id else None,
            target_id=encode_id("User", m.target_id) if m.target_id else None,
            client_address=m.client_address,
            detail=orjson.dumps(m.detail).decode(),
            created_at=m.created_at,
            model=m,
        )


async def _live_account(info: Info, user_id: int | None) -> AdminUser | None:
    if user_id is None:
        return None
    user = await info.context.loaders.users.load(user_id)
    return AdminUser.from_model(user) if user and user.deleted_at is None else None


@strawberry.type(description="An entry in a page of the activity log.")
class ActivityLogEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the older ones.")
    node: ActivityLogEntry = strawberry.field(description="The entry.")


@strawberry.type(description="Entries of the activity log, newest first.")
class ActivityLogConnection:
    edges: list[ActivityLogEntryEdge] = strawberry.field(description="This page's entries.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.input(description="Whom to suspend, and why.")
class AdminUserSuspendInput:
    user: strawberry.ID = strawberry.field(description="The User ID of the account.")
    reason: str = strawberry.field(
        description=f"Why, for the log and other admins; at most {ops.REASON_MAX} characters."
    )


@strawberry.input(description="Whose suspension to lift.")
class AdminUserUnsuspendInput:
    user: strawberry.ID = strawberry.field(description="The User ID of the account.")


@strawberry.input(description="Whose account to delete.")
class AdminUserDeleteInput:
    user: strawberry.ID = strawberry.field(description="The User ID of the account.")


@strawberry.type(description="The result of adminUserSuspend.")
class AdminUserSuspendPayload(Payload):
    user: AdminUser | None = strawberry.field(default=None, description="The suspended account.")


@strawberry.type(description="The result of adminUserUnsuspend.")
class AdminUserUnsuspendPayload(Payload):
    user: AdminUser | None = strawberry.field(
        default=None, description="The account, no longer suspended."
    )


@strawberry.type(description="The result of adminUserDelete.")
class AdminUserDeletePayload(Payload):
    deleted_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The User ID of the deleted account."
    )


@strawberry.type
class AdminQuery:
    @strawberry.field(
        description="The dashboard's numbers. Admins only.", permission_classes=[IsAdmin]
    )
    async def admin_stats(self) -> AdminStats:
        return AdminStats.from_stats(await ops.admin_stats())

    @strawberry.field(
        description=f"Accounts, newest first. Admins only. `first` is at most {PAGE_MAX}.",
        permission_classes=[IsAdmin],
    )
    @refused_as_bad_input
    async def admin_users(
        self,
        filter: AdminUserFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AdminUserConnection:
        f = filter or AdminUserFilter()
        page = await ops.list_users(
            ops.UserFilter(
                role=RoleEnum(f.role) if f.role is not None else None,
                suspended=f.suspended,
                search=f.search,
            ),
            first,
            after,
        )
        return AdminUserConnection(
            edges=[
                AdminUserEdge(cursor=c, node=AdminUser.from_model(u)) for u, c in cursored(page)
            ],
            page_info=page_info(page),
        )

    @strawberry.field(
        description="One account by its User ID; null when there is none. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def admin_user(self, id: strawberry.ID) -> AdminUser | None:
        user = await ops.find_user(pk_of(id, "User"))
        return AdminUser.from_model(user) if user else None

    @strawberry.field(
        description="Every admin action and security event, newest first. Admins only. "
        f"`first` is at most {PAGE_MAX}.",
        permission_classes=[IsAdmin],
    )
    @refused_as_bad_input
    async def admin_activity_log(
        self, first: int | None = None, after: str | None = None
    ) -> ActivityLogConnection:
        page = await activity_ops.list_activity(first, after)
        return ActivityLogConnection(
            edges=[
                ActivityLogEntryEdge(cursor=c, node=ActivityLogEntry.from_model(e))
                for e, c in cursored(page)
            ],
            page_info=page_info(page),
        )


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        description="Suspend an account at once: its tokens are refused, its open websockets "
        "closed, its profile hidden. Not yourself, not the last admin. Admins only.",
        permission_classes=[IsAdmin],
    )
    @refused_as(AdminUserSuspendPayload)
    async def admin_user_suspend(
        self, info: Info, input: AdminUserSuspendInput
    ) -> AdminUserSuspendPayload:
        user = await ops.suspend_user(
            info.context.services,
            await acting_admin(info),
            pk_of(input.user, "User"),
            input.reason,
            client_address(info.context.request),
        )
        return AdminUserSuspendPayload(user=AdminUser.from_model(user))

    @strawberry.mutation(
        description="Lift a suspension. Admins only.", permission_classes=[IsAdmin]
    )
    @refused_as(AdminUserUnsuspendPayload)
    async def admin_user_unsuspend(
        self, info: Info, input: AdminUserUnsuspendInput
    ) -> AdminUserUnsuspendPayload:
        user = await ops.unsuspend_user(
            info.context.services,
            await acting_admin(info),
            pk_of(input.user, "User"),
            client_address(info.context.request),
        )
        return AdminUserUnsuspendPayload(user=AdminUser.from_model(user))

    @strawberry.mutation(
        description="Delete another account, as accountDelete would (messages others received "
        "stay, from a deleted user). Not the last admin. Admins only.",
        permission_classes=[IsAdmin],
    )
    @refused_as(AdminUserDeletePayload)
    async def admin_user_delete(
        self, info: Info, input: AdminUserDeleteInput
    ) -> AdminUserDeletePayload:
        user_id = pk_of(input.user, "User")
        await ops.delete_user(
            info.context.services,
            await acting_admin(info),
            user_id,
            client_address(info.context.request),
        )
        return AdminUserDeletePayload(deleted_user_id=encode_id("User", user_id))
