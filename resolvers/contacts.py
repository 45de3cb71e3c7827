"""Contacts: the people a user has an accepted collaboration with, in either direction.

Listed by display name (then id), searchable by it, and paged by keyset on (name, id), so a
page never repeats or skips a contact that stayed put. Suspended and deleted people drop out,
as they do from discovery.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models import CollabRequest, CollabRequestStatus, Profile, User
from resolvers.cursors import Page, decode_cursor, encode_cursor, page_size, positive_id
from resolvers.errors import ErrorCode, OperationError
from resolvers.text import has_forbidden_characters

SEARCH_MAX = 100
_CURSOR = "Collaborator"


async def collaborator_ids(user_id: int) -> set[int]:
    """Everyone with whom ``user_id`` has an accepted collaboration request."""
    rows = await CollabRequest.filter(
        Q(sender_id=user_id) | Q(recipient_id=user_id), status=CollabRequestStatus.ACCEPTED
    ).values_list("sender_id", "recipient_id")
    return {uid for pair in rows for uid in pair if uid != user_id}


def _search_text(search: str | None) -> str | None:
    text = (search or "").strip()
    if not text:
        return None
    if len(text) > SEARCH_MAX:
        raise OperationError.single(
            ("search",), f"Use at most {SEARCH_MAX} characters.", ErrorCode.TOO_LONG
        )
    if has_forbidden_characters(text):
        raise OperationError.single(
            ("search",), "Remove control and invisible characters.", ErrorCode.INVALID
        )
    return text


async def list_collaborators(
    user: User, search: str | None, first: int | None, after: str | None
) -> Page[Profile]:
    """The profiles of the user's collaborators, by display name; ``search`` matches any part
    of the name, case-insensitively."""
    size = page_size(first)
    text = _search_text(search)
    position = decode_cursor(after, _CURSOR, 2)
    query = Profile.filter(user_id__in=list(await collaborator_ids(user.id)), user__suspended=False)
    if text is not None:
        query = query.filter(display_name__icontains=text)
    if position is not None:
        name, last_id = position
        if not isinstance(name, str):
            raise OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)
        query = query.filter(
            Q(display_name__gt=name) | Q(display_name=name, id__gt=positive_id(last_id))
        )
    rows = await query.order_by("display_name", "id").limit(size + 1)
    page = rows[:size]
    return Page(
        items=page,
        cursors=[encode_cursor(_CURSOR, p.display_name, p.id) for p in page],
        has_next_page=len(rows) > size,
        has_previous_page=position is not None,
    )
