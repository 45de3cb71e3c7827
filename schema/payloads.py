"""Mutation payloads: the `userErrors` every payload carries, and the one place where a refused
operation (an `OperationError`) becomes its payload."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, Self, TypeVar

import strawberry

from resolvers.errors import FieldError, OperationError
from schema.errors import UserError, user_errors

INPUT_REFUSED = "Why the input was refused; empty when it worked."
REQUEST_REFUSED = "Why the request was refused; empty on success."


class Payload:
    """Base of every mutation payload: `class XPayload(Payload)` under `@strawberry.type`.

    The subclass gets `userErrors` as its last field (so it follows the result fields in the
    SDL, as clients read it), described by the class keyword `errors`. Its other fields carry
    defaults that mean "nothing happened", so a refusal is just `XPayload.refused(exc)`."""

    user_errors: list[UserError]

    def __init_subclass__(cls, errors: str = INPUT_REFUSED, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Declared on the subclass itself, after its own fields: a field inherited from a
        # Strawberry base would come first in the SDL instead.
        if "__annotations__" not in cls.__dict__:
            cls.__annotations__ = {}
        cls.__annotations__["user_errors"] = list[UserError]
        cls.user_errors = strawberry.field(default_factory=list, description=errors)

    def with_errors(self, errors: OperationError | list[FieldError]) -> Self:
        """This payload, reporting `errors` (a partial success, such as a batch's refused rows)."""
        self.user_errors = user_errors(errors)
        return self

    @classmethod
    def refused(cls, error: OperationError) -> Self:
        return cls().with_errors(error)


P = ParamSpec("P")
PayloadT = TypeVar("PayloadT", bound=Payload)


def refused_as(
    payload: type[PayloadT],
) -> Callable[[Callable[P, Awaitable[PayloadT]]], Callable[P, Awaitable[PayloadT]]]:
    """Wrap a mutation resolver so that an `OperationError` it raises answers as `payload`
    with `userErrors`; the resolver body is the success path only. Authentication failures
    are not `OperationError`s and stay top-level errors. Strawberry reads the wrapped
    resolver's signature and annotations through `functools.wraps`."""

    def wrap(resolver: Callable[P, Awaitable[PayloadT]]) -> Callable[P, Awaitable[PayloadT]]:
        @functools.wraps(resolver)
        async def resolve(*args: P.args, **kwargs: P.kwargs) -> PayloadT:
            try:
                return await resolver(*args, **kwargs)
            except OperationError as exc:
                return payload.refused(exc)

        return resolve

    return wrap
