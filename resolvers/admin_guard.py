"""The rules every change to an account's standing obeys, whoever makes it (an admin, or the
user deleting their own account): there is always at least one admin left who can act."""

from __future__ import annotations

from models import Role, User
from resolvers.errors import ErrorCode, OperationError


async def keep_an_admin(target: User, field: str | None) -> None:
    """Refuses to suspend or delete the last active admin. Call inside the transaction of the
    change: on PostgreSQL the admins' rows are locked first, so two admins closing each other's
    accounts at once cannot both succeed (SQLite serializes writers anyway)."""
    if target.role != Role.ADMIN:
        return
    admins = (
        await User.filter(role=Role.ADMIN, suspended=False, deleted_at=None)
        .select_for_update()
        .only("id")
    )
    if not any(admin.id != target.id for admin in admins):
        raise OperationError.single(
            (field,) if field else None,
            "This is the last admin; make another admin first.",
            ErrorCode.NOT_ALLOWED,
        )
