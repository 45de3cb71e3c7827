"""DiscoveryPage's variables, coerced as GraphQL would coerce them, or None to leave the
request to Strawberry.

The compiled path must not answer what Strawberry would refuse, so this accepts only values
GraphQL's input coercion takes unchanged (schema/discovery.py's inputs, schema/scalars.py's
BigInt) and refuses the rest, including what GraphQL would coerce (a single string for a list,
a whole float for an Int): Strawberry answers those, correctly if more slowly. The business
rules (lengths, ranges, the cursor) are not here: resolvers/discovery.py applies them to both
paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from models import Platform, Role
from resolvers.discovery import OrderDirection, ProfileFilter, ProfileOrder, ProfileOrderField

VARIABLES = frozenset({"filter", "orderBy", "first", "after"})
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
JS_SAFE_INTEGER_MAX = 2**53 - 1  # schema/scalars.py's BigInt bound

E = TypeVar("E", bound=StrEnum)
V = TypeVar("V")


class Refused(Exception):
    """A value GraphQL would refuse or coerce: the request goes to Strawberry."""


@dataclass(frozen=True, slots=True)
class DiscoveryArguments:
    filter: ProfileFilter | None
    order: ProfileOrder | None
    first: int | None
    after: str | None


def discovery_arguments(variables: Mapping[str, object]) -> DiscoveryArguments | None:
    """The arguments of ``profiles(...)`` from DiscoveryPage's variables, or None."""
    if not set(variables) <= VARIABLES:
        return None
    try:
        return DiscoveryArguments(
            filter=_filter(variables.get("filter")),
            order=_order(variables.get("orderBy")),
            first=_nullable(variables.get("first"), _int32),
            after=_nullable(variables.get("after"), _string),
        )
    except Refused:
        return None


def _filter(raw: object) -> ProfileFilter | None:
    if raw is None:
        return None
    fields = _object(raw, _FILTER_FIELDS)
    return ProfileFilter(
        search=_nullable(fields.get("search"), _string),
        niches=_nullable(fields.get("niches"), _list_of(_string)),
        platforms=_nullable(fields.get("platforms"), _list_of(_enum(Platform))),
        role=_nullable(fields.get("role"), _enum(Role)),
        min_followers=_nullable(fields.get("minFollowers"), _bigint),
        max_followers=_nullable(fields.get("maxFollowers"), _bigint),
        min_engagement=_nullable(fields.get("minEngagement"), _float),
        country=_nullable(fields.get("country"), _string),
        city=_nullable(fields.get("city"), _string),
        min_growth_30d=_nullable(fields.get("minGrowth30d"), _float),
    )


_FILTER_FIELDS = frozenset(
    {
        "search",
        "niches",
        "platforms",
        "role",
        "minFollowers",
        "maxFollowers",
        "minEngagement",
        "country",
        "city",
        "minGrowth30d",
    }
)


def _order(raw: object) -> ProfileOrder | None:
    if raw is None:
        return None
    fields = _object(raw, frozenset({"field", "direction"}))
    # Both are non-null with defaults: absent takes the default, null is refused.
    field = _enum(ProfileOrderField)(fields.get("field", ProfileOrderField.RIZZ_SCORE.value))
    direction = _enum(OrderDirection)(fields.get("direction", OrderDirection.DESC.value))
    return ProfileOrder(field, direction)


def _object(raw: object, names: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(raw, dict) or not set(raw) <= names:
        raise Refused
    return raw


def _nullable(raw: object, parse: Callable[[object], V]) -> V | None:
    return None if raw is None else parse(raw)


def _string(raw: object) -> str:
    if not isinstance(raw, str):
        raise Refused
    return raw


def _int32(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not INT32_MIN <= raw <= INT32_MAX:
        raise Refused
    return raw


def _bigint(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or abs(raw) > JS_SAFE_INTEGER_MAX:
        raise Refused
    return raw


def _float(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise Refused
    try:
        value = float(raw)
    except OverflowError:  # an integer past any float
        raise Refused from None
    if not math.isfinite(value):
        raise Refused
    return value


def _enum(kind: type[E]) -> Callable[[object], E]:
    def parse(raw: object) -> E:
        if not isinstance(raw, str) or raw not in kind.__members__:
            raise Refused
        return kind[raw]

    return parse


def _list_of(parse: Callable[[object], V]) -> Callable[[object], list[V]]:
    def parse_list(raw: object) -> list[V]:
        if not isinstance(raw, list):
            raise Refused
        return [parse(item) for item in raw]  # a null item is refused by ``parse``

    return parse_list
