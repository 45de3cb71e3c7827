"""Who may use the admin operations: one permission class, on every admin field.

Anyone but a signed-in, unsuspended admin gets one top-level FORBIDDEN error and no data,
whatever the arguments: an ID they send is never looked up, so it behaves the same whether or
not it exists. (A token that is invalid still answers UNAUTHENTICATED, as everywhere.)
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from models import Role, User
from schema.context import Info


class IsAdmin(BasePermission):
    message = "Only admins can do this."
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012  # BasePermission declares it so

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = await info.context.viewer()
        return viewer is not None and viewer.role == Role.ADMIN


async def acting_admin(info: Info) -> User:
    """The admin a guarded field acts as (IsAdmin has already let them through)."""
    return await info.context.require_viewer()
