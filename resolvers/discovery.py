"""Discovery: filtering and keyset-paginating public profiles.

Pagination is by keyset, not offset: a cursor holds the ordering (field and direction), the sort
value and the id of the last row, and the next page starts strictly after that pair, with the id as
the tie-break in the same direction. A cursor is accepted only by the ordering that made it.
Rows that move while a client pages may show up on a later page or not at all, but a page never
repeats a row and never skips one that stayed put.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from adapters.platforms.engagement import ENGAGEMENT_MAX
from models import Platform, Profile, Role, SocialAccount, User
from models.ids import BIGINT_MAX
from resolvers.aggregates import RIZZ_SCORE_MAX
from resolvers.cursors import Page, pack_cursor, page_size, unpack_cursor
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.profiles import normalize_niche
from resolvers.relevance import (
    RELEVANCE_MAX,
    postgres_search_sql,
    score_sql,
    sqlite_match_sql,
)
from resolvers.text import INVISIBLE_MESSAGE, has_forbidden_characters

SEARCH_MAX = 100
FILTER_LIST_MAX = 20


class ProfileOrderField(StrEnum):
    RIZZ_SCORE = "RIZZ_SCORE"
    TOTAL_FOLLOWERS = "TOTAL_FOLLOWERS"
    AVG_ENGAGEMENT = "AVG_ENGAGEMENT"
    UPDATED_AT = "UPDATED_AT"
    GROWTH_30D = "GROWTH_30D"
    RELEVANCE = "RELEVANCE"


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


_COLUMNS = {
    ProfileOrderField.RIZZ_SCORE: "rizz_score",
    ProfileOrderField.TOTAL_FOLLOWERS: "total_followers",
    ProfileOrderField.AVG_ENGAGEMENT: "avg_engagement",
    ProfileOrderField.UPDATED_AT: "updated_at",
    ProfileOrderField.GROWTH_30D: "growth_30d",
    ProfileOrderField.RELEVANCE: "relevance",
}
# Followers cannot fall below 0, so no growth is below -100%; there is no upper bound.
GROWTH_MIN = -100.0


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
    min_growth_30d: float | None = None


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
    planned = discovery_page(filter, order, first, after)
    rows = await planned.rows
    page = rows[: planned.size]
    return Page(
        items=page,
        cursors=[planned.cursor(getattr(p, planned.column), p.id) for p in page],
        has_next_page=len(rows) > planned.size,
        has_previous_page=after is not None,
    )


@dataclass(frozen=True, slots=True)
class DiscoveryPageQuery:
    """One discovery page as a query: the rows after the cursor in order, one more than the page
    holds (that one says whether a next page exists); what its cursors are made of. The
    Strawberry path runs it; resolvers/compiled/discovery.py wraps its SQL in the JSON of the
    answer; ``bench/explain_discovery.py`` prints its plan."""

    rows: QuerySet[Profile]
    order: ProfileOrder
    size: int
    search: str | None

    @property
    def column(self) -> str:
        """The column (or annotation) the rows are ordered by, before the id."""
        return _COLUMNS[self.order.field]

    def cursor(self, value: Any, profile_id: int) -> str:
        return profile_cursor(self.order, value, profile_id, self.search)

    def sql(self) -> tuple[str, list[Any]]:
        """The rows' SQL and parameters, exactly as Tortoise sends them when the rows are
        awaited (placeholders in the connection's style)."""
        self.rows._choose_db_if_not_chosen()
        self.rows._make_query()
        sql, params = self.rows.query.get_parameterized_sql()
        return sql, list(params)


def discovery_page(
    filter: ProfileFilter | None, order: ProfileOrder | None, first: int | None, after: str | None
) -> DiscoveryPageQuery:
    """Every rule of a discovery page (its size, the filter, the default order, the cursor),
    checked, as a query not yet run; OperationError when the arguments are refused."""
    size = page_size(first)
    valid = validate_filter(filter or ProfileFilter())
    if order is None:
        order = ProfileOrder(ProfileOrderField.RELEVANCE) if valid.search else ProfileOrder()
    query = _filtered(valid)
    if order.field is ProfileOrderField.RELEVANCE:
        if valid.search is None:
            message = "Order by RELEVANCE only with a search text."
            raise OperationError.single(("orderBy", "field"), message, ErrorCode.INVALID)
        query = query.annotate(relevance=score_sql(_dialect(), valid.search))
    column = _COLUMNS[order.field]
    if order.field is ProfileOrderField.GROWTH_30D:
        # Only profiles whose growth is known take part in this order: NULL sorts first on one
        # database and last on the other, and has no place in a keyset.
        query = query.filter(growth_30d__isnull=False)
    descending = order.direction is OrderDirection.DESC
    if after is not None:
        value, last_id = profile_cursor_position(after, order, valid.search)
        op = "lt" if descending else "gt"
        # The first condition is implied by the second; it is there for the planner, which
        # turns it into the start of a range read of the (column, id) index.
        query = query.filter(**{f"{column}__{op}e": value}).filter(
            Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"id__{op}": last_id})
        )
    sign = "-" if descending else ""
    rows = query.order_by(f"{sign}{column}", f"{sign}id").limit(size + 1)
    return DiscoveryPageQuery(rows=rows, order=order, size=size, search=valid.search)


@dataclass(frozen=True, slots=True)
class ValidProfileFilter:
    """A ``ProfileFilter`` that passed validation, normalized for the query: None means "no
    condition"; empty ``niche_tags`` means niches were asked for that no profile can have."""

    search: str | None
    niche_tags: tuple[str, ...] | None
    platforms: frozenset[Platform]
    role: Role | None
    min_followers: int | None
    max_followers: int | None
    min_engagement: float | None
    country: str | None
    city: str | None
    min_growth_30d: float | None


def validate_filter(f: ProfileFilter) -> ValidProfileFilter:
    """Every problem with the filter at once, or the filter ready for ``_filtered``."""
    errors: list[FieldError] = []
    search = _search_text(f.search, errors)
    niche_tags = _niche_tags(f.niches, errors)
    _check_follower_bounds(f.min_followers, f.max_followers, errors)
    _check_min_engagement(f.min_engagement, errors)
    _check_min_growth(f.min_growth_30d, errors)
    country, city = _place("country", f.country, errors), _place("city", f.city, errors)
    if errors:
        raise OperationError(errors)
    return ValidProfileFilter(
        search=search,
        niche_tags=niche_tags,
        platforms=frozenset(f.platforms or ()),
        role=f.role,
        min_followers=f.min_followers,
        max_followers=f.max_followers,
        min_engagement=f.min_engagement,
        country=country,
        city=city,
        min_growth_30d=f.min_growth_30d,
    )


def _search_text(raw: str | None, errors: list[FieldError]) -> str | None:
    if raw is None:
        return None
    text = " ".join(raw.split())
    if len(text) > SEARCH_MAX:
        message = f"Search for at most {SEARCH_MAX} characters."
        errors.append(FieldError(("filter", "search"), message, ErrorCode.TOO_LONG))
    elif has_forbidden_characters(text):
        errors.append(FieldError(("filter", "search"), INVISIBLE_MESSAGE, ErrorCode.INVALID))
    return text or None


def _niche_tags(raw: Sequence[str] | None, errors: list[FieldError]) -> tuple[str, ...] | None:
    if not raw:
        return None
    if len(raw) > FILTER_LIST_MAX:
        message = f"Filter by at most {FILTER_LIST_MAX} niches."
        errors.append(FieldError(("filter", "niches"), message, ErrorCode.TOO_MANY))
        return None
    tags = [t for t in (normalize_niche(n) for n in raw) if t]
    # No stored niche holds these, and PostgreSQL refuses a NUL in any text it is sent.
    if any(has_forbidden_characters(t) for t in tags):
        errors.append(FieldError(("filter", "niches"), INVISIBLE_MESSAGE, ErrorCode.INVALID))
        return None
    # "|" separates the stored tags, so a tag holding one could match two adjacent niches; no
    # niche can contain it, so such a tag matches nothing.
    possible = tuple(t for t in tags if "|" not in t)
    return possible if possible or tags else None


def _check_follower_bounds(low: int | None, high: int | None, errors: list[FieldError]) -> None:
    for name, bound in (("minFollowers", low), ("maxFollowers", high)):
        # Any count a BIGINT holds: a large maxFollowers is how clients say "no upper bound".
        if bound is not None and not 0 <= bound <= BIGINT_MAX:
            message = "Enter a follower count of 0 or more."
            errors.append(FieldError(("filter", name), message, ErrorCode.OUT_OF_RANGE))
    if low is not None and high is not None and low > high:
        message = "minFollowers cannot be greater than maxFollowers."
        errors.append(FieldError(("filter", "minFollowers"), message, ErrorCode.OUT_OF_RANGE))


def _check_min_engagement(value: float | None, errors: list[FieldError]) -> None:
    if value is not None and not (math.isfinite(value) and 0 <= value <= ENGAGEMENT_MAX):
        message = f"Enter a percentage from 0 to {ENGAGEMENT_MAX:g}."
        errors.append(FieldError(("filter", "minEngagement"), message, ErrorCode.OUT_OF_RANGE))


def _check_min_growth(value: float | None, errors: list[FieldError]) -> None:
    if value is not None and not (math.isfinite(value) and value >= GROWTH_MIN):
        message = f"Enter a percentage of {GROWTH_MIN:g} or more."
        errors.append(FieldError(("filter", "minGrowth30d"), message, ErrorCode.OUT_OF_RANGE))


def _place(name: str, value: str | None, errors: list[FieldError]) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > SEARCH_MAX:
        errors.append(FieldError(("filter", name), "Too long.", ErrorCode.TOO_LONG))
    elif has_forbidden_characters(value):
        errors.append(FieldError(("filter", name), INVISIBLE_MESSAGE, ErrorCode.INVALID))
    return value.strip()


def _filtered(f: ValidProfileFilter) -> QuerySet[Profile]:
    """The public, active profiles of unsuspended users that match every condition of ``f``."""
    query = listed_profiles()
    if f.search is not None and _dialect() == "postgres":
        # One flat condition, literal match included (relevance.postgres_search_sql says why).
        query = query.annotate(search_hit=postgres_search_sql(f.search)).filter(search_hit=True)
    elif f.search is not None:
        # Tortoise's icontains escapes LIKE's wildcards (% _ \) and adds ESCAPE '\', so the
        # text matches literally (tests pin it); relevance.py's FTS5 match adds misspelt names.
        literal = Q(display_name__icontains=f.search) | Q(bio__icontains=f.search)
        more = sqlite_match_sql(f.search)
        if more is None:
            query = query.filter(literal)
        else:
            query = query.annotate(search_hit=more).filter(literal | Q(search_hit=True))
    if f.niche_tags:
        any_niche = Q(*[Q(niche_tags__contains=f"|{t}|") for t in f.niche_tags], join_type="OR")
        query = query.filter(any_niche)
    elif f.niche_tags is not None:
        query = query.filter(id__in=[])
    if f.platforms:
        having = SocialAccount.filter(platform__in=list(f.platforms)).values("profile_id")
        query = query.filter(id__in=Subquery(having))
    if f.role is not None:
        query = query.filter(role=f.role.value)
    if f.min_followers is not None:
        query = query.filter(total_followers__gte=f.min_followers)
    if f.max_followers is not None:
        query = query.filter(total_followers__lte=f.max_followers)
    if f.min_engagement is not None:
        query = query.filter(avg_engagement__gte=f.min_engagement)
    if f.min_growth_30d is not None:
        query = query.filter(growth_30d__gte=f.min_growth_30d)
    if f.country is not None:
        query = query.filter(country__iexact=f.country)
    if f.city is not None:
        query = query.filter(city__iexact=f.city)
    return query


def listed_profiles() -> QuerySet[Profile]:
    """The profiles lists may show: public, active, and of a user who is not suspended. The
    suspension check reads the few suspended users (a partial index, migration 0013) instead
    of joining every profile to its user."""
    suspended = User.filter(suspended=True).values("id")
    return Profile.filter(is_public=True, is_active=True).exclude(user_id__in=Subquery(suspended))


def _dialect() -> str:
    return str(Profile._meta.db.capabilities.dialect)


def profile_cursor(
    order: ProfileOrder, value: Any, profile_id: int, search: str | None = None
) -> str:
    """An opaque cursor naming the ordering (field and direction), the sort value and the id;
    a RELEVANCE cursor also names its search (``search_digest``), since its value is a score
    for that text only."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    parts = [order.field.value, order.direction.value, value, profile_id]
    if order.field is ProfileOrderField.RELEVANCE:
        parts.append(search_digest(search or ""))
    return pack_cursor(parts)


def search_digest(search: str) -> str:
    """A short digest of a validated search text: enough to tell one search's cursor from
    another's, and no echo of what was searched in a URL or a log."""
    return hashlib.sha256(search.encode()).hexdigest()[:12]


def profile_cursor_position(
    cursor: str, order: ProfileOrder, search: str | None = None
) -> tuple[Any, int]:
    """The sort value and id of a cursor made by ``profile_cursor`` for this same ordering
    (and, for RELEVANCE, this same search)."""
    invalid = OperationError.single(
        ("after",), "The cursor is invalid for this ordering.", ErrorCode.INVALID
    )
    decoded = unpack_cursor(cursor)
    relevance = order.field is ProfileOrderField.RELEVANCE
    if decoded is None or len(decoded) != (5 if relevance else 4):
        raise invalid
    field, direction, value, profile_id = decoded[:4]
    if field != order.field.value or direction != order.direction.value:
        raise invalid
    if relevance and decoded[4] != search_digest(search or ""):
        message = "The cursor belongs to another search; start again without `after`."
        raise OperationError.single(("after",), message, ErrorCode.INVALID)
    if not _is_int_within(profile_id, 0, BIGINT_MAX):
        raise invalid
    parsed = _sort_value(order.field, value)
    if parsed is None:
        raise invalid
    return parsed, cast(int, profile_id)


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
    if field is ProfileOrderField.GROWTH_30D:
        number = float(value)
        return number if math.isfinite(number) and number >= GROWTH_MIN else None
    high = RIZZ_SCORE_MAX if field is ProfileOrderField.RIZZ_SCORE else BIGINT_MAX
    if field is ProfileOrderField.RELEVANCE:
        return value if isinstance(value, int) and 0 <= value <= RELEVANCE_MAX else None
    return value if isinstance(value, int) and 0 <= value <= high else None


def _is_int_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
