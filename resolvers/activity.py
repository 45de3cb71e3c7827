"""The activity log: one function records every admin action and security event, one reads it.

Other operations (sign-in, password reset, suspension, deletion) call ``record_activity``; the
log is read only by admins (``adminActivityLog``). Entries name accounts by id, so they outlive
the accounts; an unknown email tried at sign-in is kept in ``detail``, cut to a bounded length.
"""

from __future__ import annotations

from typing import Any

from models import ActivityAction, ActivityEntry, User
from resolvers.cursors import Page, newest_first

CLIENT_ADDRESS_MAX = 64
_CURSOR = "ActivityEntry"


def _id_of(who: User | int | None) -> int | None:
    return who.id if isinstance(who, User) else who


async def record_activity(
    actor: User | int | None,
    action: ActivityAction,
    target: User | int | None,
    client_address: str,
    detail: dict[str, Any] | None = None,
) -> ActivityEntry:
    """Appends one entry: who acted (None for an anonymous client), what they did, to whom,
    from which client address (as schema/client_address.py decided it), and any detail."""
    return await ActivityEntry.create(
        action=action.value,
        actor_id=_id_of(actor),
        target_id=_id_of(target),
        client_address=client_address[:CLIENT_ADDRESS_MAX],
        detail=detail or {},
    )


async def list_activity(
    first: int | None, after: str | None, target_id: int | None = None
) -> Page[ActivityEntry]:
    """The log, newest first; optionally only the entries about one account."""
    query = ActivityEntry.all()
    if target_id is not None:
        query = query.filter(target_id=target_id)
    return await newest_first(query, _CURSOR, first, after)
