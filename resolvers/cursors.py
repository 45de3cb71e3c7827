"""Keyset cursors: the one cursor wire format, and the cursors of the realtime lists
(conversations, messages, requests, notifications).

A cursor is the sort key of the last row a client saw, named by kind so a messages cursor is
refused by the notifications list. The next page starts strictly after it, so paging never
repeats or skips a row that stayed put, however many rows arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

import orjson
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.ids import is_row_id
from resolvers.errors import ErrorCode, OperationError

PAGE_MAX = 100
PAGE_DEFAULT = 20

CursorValue = int | str
T = TypeVar("T")


def page_size(first: int | None) -> int:
    if first is None:
        return PAGE_DEFAULT
    if not 1 <= first <= PAGE_MAX:
        raise OperationError.single(
            ("first",), f"first must be from 1 to {PAGE_MAX}.", ErrorCode.OUT_OF_RANGE
        )
    return first


def pack_cursor(parts: Sequence[object]) -> str:
    """The one wire format of every cursor: unpadded base64url of a JSON array."""
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


def unpack_cursor(cursor: str) -> list[object] | None:
    """The JSON array a cursor holds, or None when the string is not a cursor at all. The
    caller checks what the array holds, and refuses anything else in its own words."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return None
    return raw if isinstance(raw, list) else None


def encode_cursor(kind: str, *values: CursorValue) -> str:
    return pack_cursor([kind, *values])


def decode_cursor(cursor: str | None, kind: str, arity: int) -> list[CursorValue] | None:
    """The values of a cursor of this kind, None for no cursor; refuses any other string."""
    if cursor is None:
        return None
    raw = unpack_cursor(cursor)
    if (
        raw is None
        or len(raw) != arity + 1
        or raw[0] != kind
        or not all(isinstance(v, int | str) and not isinstance(v, bool) for v in raw[1:])
    ):
        raise OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)
    return cast(list[CursorValue], raw[1:])


def positive_id(value: CursorValue) -> int:
    """An id read from a cursor, refused unless it could be a row id."""
    if isinstance(value, int) and is_row_id(value):
        return value
    raise OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, newest first, with each row's cursor."""

    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


M = TypeVar("M", bound=Model)


async def newest_first(
    query: QuerySet[M], kind: str, first: int | None, after: str | None
) -> Page[M]:
    """One page of ``query`` by descending id: the lists whose order is arrival order."""
    size = page_size(first)
    position = decode_cursor(after, kind, 1)
    if position is not None:
        query = query.filter(id__lt=positive_id(position[0]))
    rows = await query.order_by("-id").limit(size + 1)
    page = rows[:size]
    return Page(
        items=page,
        cursors=[encode_cursor(kind, row.pk) for row in page],
        has_next_page=len(rows) > size,
        has_previous_page=position is not None,
    )
