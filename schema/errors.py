"""The one boundary where operation errors become GraphQL values or top-level errors."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types.enum import has_enum_definition

from resolvers.errors import ErrorCode as ErrorCodeEnum
from resolvers.errors import FieldError, OperationError

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
_marked = strawberry.enum(
    ErrorCodeEnum, name="ErrorCode", description="Why an input was refused; stable for clients."
)
ErrorCode = ErrorCodeEnum
# Each value's description comes from the code itself (resolvers/ must not import strawberry,
# so it cannot use strawberry.enum_value); Strawberry reads these when it builds the schema.
assert has_enum_definition(_marked)
_descriptions = {code.value: code.description for code in ErrorCodeEnum}
for _value in _marked.__strawberry_definition__.values:
    _value.description = _descriptions[_value.value]


@strawberry.type(description="A problem with the input; nothing was changed because of it.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["items", "2", "followers"]; '
        "null when the whole input is at fault."
    )
    message: str = strawberry.field(description="A sentence to show to the user.")
    code: ErrorCode = strawberry.field(description="A stable code to branch on.")


def user_errors(error: OperationError | list[FieldError]) -> list[UserError]:
    errors = error.errors if isinstance(error, OperationError) else error
    return [
        UserError(
            field=list(e.field) if e.field is not None else None, message=e.message, code=e.code
        )
        for e in errors
    ]


class PublicError(GraphQLError):
    """A top-level error meant for the client, never masked."""

    def __init__(self, message: str, code: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def unauthenticated(message: str = "Sign in to do this.") -> PublicError:
    return PublicError(message, "UNAUTHENTICATED")


def bad_user_input(error: OperationError) -> PublicError:
    first = error.errors[0]
    return PublicError(
        str(error),
        "BAD_USER_INPUT",
        userErrors=[
            {
                "field": list(e.field) if e.field else None,
                "message": e.message,
                "code": e.code.value,
            }
            for e in error.errors
        ],
        field=list(first.field) if first.field else None,
    )


P = ParamSpec("P")
T = TypeVar("T")


def refused_as_bad_input(resolver: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Wrap a query resolver so that an `OperationError` it raises (a bad page size, cursor or
    filter) answers as a top-level BAD_USER_INPUT error: queries have no payload to carry
    `userErrors`. Mutations use `schema.payloads.refused_as` instead."""

    @functools.wraps(resolver)
    async def resolve(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await resolver(*args, **kwargs)
        except OperationError as exc:
            raise bad_user_input(exc) from None

    return resolve
