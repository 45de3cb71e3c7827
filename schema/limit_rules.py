"""Validation rules that bound the work one request may ask for, each refusal with a code.

They run with the rest of validation, so a refused document never reaches a resolver.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    ValidationRule,
)

from resolvers.cursors import PAGE_MAX
from resolvers.errors import ErrorCode, OperationError
from schema.cost import PAGE_ARGUMENTS, PAGE_MIN, PASSWORD_MUTATIONS, root_field_names
from schema.errors import bad_user_input

TOO_MANY_PASSWORD_MUTATIONS = "TOO_MANY_PASSWORD_MUTATIONS"  # noqa: S105 (a code)
TOO_MANY_REPEATED_MUTATIONS = "TOO_MANY_REPEATED_MUTATIONS"


def page_size_error(argument: str, value: int) -> GraphQLError:
    """The one refusal of a ``first``/``last`` outside 1–100, literal or variable: the same
    BAD_USER_INPUT the resolvers' page-size rule (resolvers/cursors.py) answers."""
    return bad_user_input(
        OperationError.single(
            (argument,),
            f"{argument} must be from {PAGE_MIN} to {PAGE_MAX}, not {value}.",
            ErrorCode.OUT_OF_RANGE,
        )
    )


class PageSizeBounds(ValidationRule):
    """``first``/``last`` literals must be from 1 to 100; variables are checked with the cost,
    before execution, since validation does not see their values."""

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        name = node.name.value
        if name not in PAGE_ARGUMENTS or not isinstance(node.value, IntValueNode):
            return
        if self.context.get_argument() is None:  # not an argument of this field
            return
        value = int(node.value.value)
        if not PAGE_MIN <= value <= PAGE_MAX:
            self.report_error(page_size_error(name, value))


def mutation_limit_rules(max_repeated: int) -> list[type[ValidationRule]]:
    """The mutation rules, built once per schema (rule classes key the validation cache)."""

    class MutationLimits(ValidationRule):
        """At most one password-hashing mutation per request (argon2id costs tens of
        milliseconds and 64 MiB each: 30 aliased accountRegister burned 6 s of CPU, 10 aliased
        tokenCreate locked a stranger out), and at most ``max_repeated`` of any one mutation
        field (16 aliased socialSync passed the alias limit)."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            if node.operation is not OperationType.MUTATION:
                return
            names = Counter(root_field_names(self.context.document, node))
            hashing = sum(count for name, count in names.items() if name in PASSWORD_MUTATIONS)
            if hashing > 1:
                self.report_error(
                    GraphQLError(
                        "Send at most one accountRegister or tokenCreate per request.",
                        node,
                        extensions={"code": TOO_MANY_PASSWORD_MUTATIONS, "max": 1},
                    )
                )
            for name, count in names.items():
                if count > max_repeated:
                    self.report_error(
                        GraphQLError(
                            f"Send {name} at most {max_repeated} times per request.",
                            node,
                            extensions={
                                "code": TOO_MANY_REPEATED_MUTATIONS,
                                "field": name,
                                "max": max_repeated,
                            },
                        )
                    )

    return [PageSizeBounds, MutationLimits]
