"""Custom scalars. ``BigInt`` carries counts that can pass GraphQL's 32-bit ``Int`` (total
followers, views, likes) as plain JSON numbers, exact up to 2^53. ``DateTime`` is Strawberry's,
refusing moments outside the calendar once in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType, SupportsInt

import strawberry
from graphql import IntValueNode, ValueNode
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

BigInt = NewType("BigInt", int)

JS_SAFE_INTEGER_MAX = 2**53 - 1  # Number.MAX_SAFE_INTEGER: larger JSON numbers lose digits in JS


def _parse_bigint(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"BigInt must be a whole number, not {value!r}")
    if not -JS_SAFE_INTEGER_MAX <= value <= JS_SAFE_INTEGER_MAX:
        raise ValueError("BigInt must be within ±(2^53 − 1)")
    return value


def _parse_bigint_literal(node: ValueNode, _variables: object = None) -> int:
    if not isinstance(node, IntValueNode):
        raise ValueError("BigInt must be a whole number")
    return _parse_bigint(int(node.value))


def _serialize_bigint(value: SupportsInt) -> int:
    return int(value)


def _parse_datetime(value: object) -> datetime:
    """Strawberry's parse, then the UTC conversion the database makes: an offset can push year
    9999 or year 1 off the calendar, which PostgreSQL's driver would fail on mid-query."""
    moment: datetime = DateTimeDefinition.parse_value(value)  # type: ignore[misc]  # Optional in the type, always set for DateTime
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("DateTime must fall within years 1 to 9999 in UTC") from None
    return moment


SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A whole number sent as a JSON number; exact up to 2^53 − 1.",
        serialize=_serialize_bigint,
        parse_value=_parse_bigint,
        parse_literal=_parse_bigint_literal,
    ),
    datetime: strawberry.scalar(
        name=DateTimeDefinition.name,
        description=DateTimeDefinition.description,
        serialize=datetime.isoformat,
        parse_value=_parse_datetime,
    ),
}
