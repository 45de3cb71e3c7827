"""A code on every top-level error about the request itself, so a client can tell its own
mistakes from the server's: a document that does not parse, a document the schema refuses,
and input values (literals or variables) that no field accepts.

Codes are set where Strawberry hands over each phase's errors (``Schema.process_errors``), which
runs before masking; ``schema/extensions.py`` never masks an error labelled here. The same place
logs the errors that are bugs — once each, at ERROR, with the request id and the traceback;
a client's mistake is not the server's problem and only shows in the access log.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import ASTValidationRule, GraphQLError, GraphQLSyntaxError, ValidationRule
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

from schema.lean_schema import LeanSchema
from schema.unavailable import answer_unavailable

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
CLIENT_ERROR_CODES = frozenset({PARSE_FAILED, VALIDATION_FAILED, BAD_USER_INPUT})

log = logging.getLogger("creatorgraph.errors")


def error_code(error: GraphQLError) -> object:
    return (error.extensions or {}).get("code")


def is_bug(error: GraphQLError) -> bool:
    """A bug, not an answer: errors raised on purpose (GraphQLError subclasses, including
    UNAUTHENTICATED and BAD_USER_INPUT), query/variable errors (no original exception) and
    errors labelled as the client's (a scalar refusing a value) are answers."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return error_code(error) not in CLIENT_ERROR_CODES


def _label(error: GraphQLError, code: str) -> None:
    if error_code(error) is None:
        error.extensions = {**(error.extensions or {}), "code": code}


class InputValuesRule(ValuesOfCorrectTypeRule):
    """graphql-core's literal check, whose errors (a BigInt out of range, an unknown enum value,
    a string for an Int) are bad input rather than a malformed document."""

    def report_error(self, error: GraphQLError) -> None:
        _label(error, BAD_USER_INPUT)
        super().report_error(error)


class HideSuggestionsRule(ValidationRule):
    """Turns on graphql-core's ``hide_suggestions`` for the document being validated: with
    introspection off, "Did you mean 'stats'?" would reveal the schema piece by piece.
    Strawberry calls ``validate()`` without that switch; rules are built before any visits."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        context._hide_suggestions = True


class HideSuggestionsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """The same switch for variable values, which graphql-core checks when execution starts."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)


def client_error_rules(
    rules: tuple[type[ASTValidationRule], ...], hide_suggestions: bool
) -> tuple[type[ASTValidationRule], ...]:
    """``rules`` with the labelling literal check swapped in and, when asked, the rule that
    hides suggestions (schema/operation_rules.py applies them). The rule classes are
    module-level, so the validation cache's key stays stable."""
    swapped = tuple(InputValuesRule if rule is ValuesOfCorrectTypeRule else rule for rule in rules)
    return (*swapped, HideSuggestionsRule) if hide_suggestions else swapped


def label_client_errors(
    errors: list[GraphQLError], execution_context: ExecutionContext | None
) -> None:
    """Codes the errors a client caused. Only errors that point into the document (``nodes``)
    and come from no resolver (no ``path``) qualify; an exception escaping an extension has no
    nodes and stays a bug. Before execution such an error is the validator's; once execution
    has a result, it comes from checking the variables."""
    executed = execution_context is not None and execution_context.result is not None
    for error in errors:
        if isinstance(error, GraphQLSyntaxError):
            _label(error, PARSE_FAILED)
        elif error.path is None and error.nodes:
            if executed:
                _label(error, BAD_USER_INPUT)
            elif error.original_error is None:
                _label(error, VALIDATION_FAILED)


class SchemaWithErrorCodes(LeanSchema):
    """Strawberry's schema, labelling errors where it hands over every phase's errors: a parse
    failure leaves the extension hooks by exception, so no extension would see it. Strawberry's
    own ``process_errors`` logged every error, a client's included, at ERROR with a traceback;
    here only bugs are logged. This is the one place that sees them all (an exception escaping
    an extension never reaches the masking extension), so each is logged once."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
        errors = answer_unavailable(errors, request_id)
        label_client_errors(errors, execution_context)
        context = execution_context.context if execution_context is not None else None
        request_id = getattr(context, "request_id", "-")
        operation = execution_context.operation_name if execution_context is not None else None
        for error in errors:
            if is_bug(error):
                log.error(
                    "unexpected error (request %s) at %s: %s",
                    request_id,
                    error.path,
                    error.message,
                    exc_info=error.original_error,
                    extra={"request_id": request_id, "operation": operation},
                )
