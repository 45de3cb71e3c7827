"""Discovery: filtering and keyset-paginating public profiles.

Pagination is by keyset, not offset: a cursor holds the ordering (field and direction), the sort
value and the id of the last row, and the next page starts strictly after that pair, with the id as
the tie-break in the same direction. A cursor is accepted only by the ordering that made it.
Rows that move while a client pages may show up on a later page or not at all, but a page never
repeats a row and never skips one that stayed put.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models import Platform, Profile, Role, SocialAccount
from resolvers.cursors import Page, page_size
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.profiles import normalize_niche
from resolvers.sync import ENGAGEMENT_MAX
from resolvers.text import INVISIBLE_MESSAGE, has_forbidden_characters

SEARCH_MAX = 100
FILTER_LIST_MAX = 20
# The largest number a BIGINT column holds: numbers from clients (follower bounds, cursors) are
# checked against it here, so none overflows a database parameter.
BIGINT_MAX = 2**63 - 1
RIZZ_SCORE_MAX = 100


class ProfileOrderField(StrEnum):
    RIZZ_SCORE = "RIZZ_SCORE"
    TOTAL_FOLLOWERS = "TOTAL_FOLLOWERS"
    AVG_ENGAGEMENT = "AVG_ENGAGEMENT"
    UPDATED_AT = "UPDATED_AT"


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


_COLUMNS = {
    ProfileOrderField.RIZZ_SCORE: "rizz_score",
    ProfileOrderField.TOTAL_FOLLOWERS: "total_followers",
    ProfileOrderField.AVG_ENGAGEMENT: "avg_engagement",
    ProfileOrderField.UPDATED_AT: "updated_at",
}


@dataclass(frozen=True, slots=True)
class ProfileFilter:
    search: str | None = None
    niches: Sequence[str] | None = None
    platforms: Sequence[Platform] | None = None
    role: Role | None = None
    min_followers: int | None = None
    max_followers: int | None = None
    min_engagement: float | None = None
    country: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileOrder:
    field: ProfileOrderField = ProfileOrderField.RIZZ_SCORE
    direction: OrderDirection = OrderDirection.DESC


async def search_profiles(
    filter: ProfileFilter | None,
    order: ProfileOrder | None,
    first: int | None,
    after: str | None,
) -> Page[Profile]:
    order = order or ProfileOrder()
    limit = page_size(first)
    query = _filtered(filter or ProfileFilter())
    column = _COLUMNS[order.field]
    descending = order.direction is OrderDirection.DESC
    if after is not None:
        value, last_id = decode_cursor(after, order)
        op = "lt" if descending else "gt"
        query = query.filter(
            Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"id__{op}": last_id})
        )
    sign = "-" if descending else ""
    rows = await query.order_by(f"{sign}{column}", f"{sign}id").limit(limit + 1)
    page = rows[:limit]
    return Page(
        items=page,
        cursors=[encode_cursor(order, getattr(p, column), p.id) for p in page],
        has_next_page=len(rows) > limit,
        has_previous_page=after is not None,
    )


def _filtered(f: ProfileFilter) -> QuerySet[Profile]:
    errors: list[FieldError] = []
    query = Profile.filter(is_public=True, is_active=True, user__suspended=False)
    if f.search is not None:
        text = " ".join(f.search.split())
        if len(text) > SEARCH_MAX:
            errors.append(
                FieldError(
                    ("filter", "search"),
                    f"Search for at most {SEARCH_MAX} characters.",
                    ErrorCode.TOO_LONG,
                )
            )
        elif has_forbidden_characters(text):
            errors.append(FieldError(("filter", "search"), INVISIBLE_MESSAGE, ErrorCode.INVALID))
        elif text:
            # Tortoise's icontains escapes LIKE's wildcards (% _ \) and adds ESCAPE '\', so the
            # text matches literally on SQLite and PostgreSQL alike (tests pin it).
            query = query.filter(Q(display_name__icontains=text) | Q(bio__icontains=text))
    if f.niches:
        if len(f.niches) > FILTER_LIST_MAX:
            errors.append(
                FieldError(
                    ("filter", "niches"),
                    f"Filter by at most {FILTER_LIST_MAX} niches.",
                    ErrorCode.TOO_MANY,
                )
            )
        else:
            tags = [t for t in (normalize_niche(n) for n in f.niches) if t]
            # "|" separates the stored tags, so a tag holding one could match two adjacent
            # niches; no niche can contain it, so such a tag matches nothing.
            possible = [t for t in tags if "|" not in t]
            if possible:
                any_niche = Q(*[Q(niche_tags__contains=f"|{t}|") for t in possible], join_type="OR")
                query = query.filter(any_niche)
            elif tags:
                query = query.filter(id__in=[])
    if f.platforms:
        having = SocialAccount.filter(platform__in=list(set(f.platforms))).values("profile_id")
        query = query.filter(id__in=Subquery(having))
    if f.role is not None:
        query = query.filter(role=f.role.value)
    for name, bound in (("minFollowers", f.min_followers), ("maxFollowers", f.max_followers)):
        # Any count a BIGINT holds: a large maxFollowers is how clients say "no upper bound".
        if bound is not None and not 0 <= bound <= BIGINT_MAX:
            errors.append(
                FieldError(
                    ("filter", name), "Enter a follower count of 0 or more.", ErrorCode.OUT_OF_RANGE
                )
            )
    if (
        f.min_followers is not None
        and f.max_followers is not None
        and f.min_followers > f.max_followers
    ):
        errors.append(
            FieldError(
                ("filter", "minFollowers"),
                "minFollowers cannot be greater than maxFollowers.",
                ErrorCode.OUT_OF_RANGE,
            )
        )
    if f.min_followers is not None:
        query = query.filter(total_followers__gte=f.min_followers)
    if f.max_followers is not None:
        query = query.filter(total_followers__lte=f.max_followers)
    if f.min_engagement is not None:
        if not (math.isfinite(f.min_engagement) and 0 <= f.min_engagement <= 100):
            errors.append(
                FieldError(
                    ("filter", "minEngagement"),
                    "Enter a percentage from 0 to 100.",
                    ErrorCode.OUT_OF_RANGE,
                )
            )
        query = query.filter(avg_engagement__gte=f.min_engagement)
    for name, value in (("country", f.country), ("city", f.city)):
        if value is not None and value.strip():
            if len(value) > SEARCH_MAX:
                errors.append(FieldError(("filter", name), "Too long.", ErrorCode.TOO_LONG))
            elif has_forbidden_characters(value):
                errors.append(FieldError(("filter", name), INVISIBLE_MESSAGE, ErrorCode.INVALID))
            query = query.filter(**{f"{name}__iexact": value.strip()})
    if errors:
        raise OperationError(errors)
    return query


def encode_cursor(order: ProfileOrder, value: Any, profile_id: int) -> str:
    """An opaque cursor naming the ordering (field and direction), the sort value and the id."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    raw = orjson.dumps([order.field.value, order.direction.value, value, profile_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: ProfileOrder) -> tuple[Any, int]:
    """The sort value and id of a cursor made by ``encode_cursor`` for this same ordering."""
    invalid = OperationError.single(
        ("after",), "The cursor is invalid for this ordering.", ErrorCode.INVALID
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise invalid from None
    if not isinstance(decoded, list) or len(decoded) != 4:
        raise invalid
    field, direction, value, profile_id = decoded
    if field != order.field.value or direction != order.direction.value:
        raise invalid
    if not _is_int_within(profile_id, 0, BIGINT_MAX):
        raise invalid
    parsed = _sort_value(order.field, value)
    if parsed is None:
        raise invalid
    return parsed, profile_id


def _sort_value(field: ProfileOrderField, value: object) -> int | float | datetime | None:
    """The cursor's sort value if it is one the column could hold, else None."""
    if field is ProfileOrderField.UPDATED_AT:
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value)
            return moment.astimezone(UTC) if moment.tzinfo is not None else None
        except (ValueError, OverflowError):
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if field is ProfileOrderField.AVG_ENGAGEMENT:
        number = float(value)
        return number if math.isfinite(number) and 0 <= number <= ENGAGEMENT_MAX else None
    high = RIZZ_SCORE_MAX if field is ProfileOrderField.RIZZ_SCORE else BIGINT_MAX
    return value if isinstance(value, int) and 0 <= value <= high else None


def _is_int_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
