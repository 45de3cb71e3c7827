"""The parse options and validation rules every operation runs with, set by one extension.

Strawberry builds each extension anew for every operation, and enters and leaves a context
manager for every hook an extension implements (schema/lean_schema.py wraps each once, but the
entering and leaving remain). The token limit, the depth, alias and repeated-mutation rules,
the client-error rules and, in production, the introspection ban were four extensions doing
constant work that way (about 4% of a profile read's CPU, bench/strawberry_cost.py). Here one
hook sets them, and the final rule tuple for Strawberry's base rules is built once: the same
tuple object each time, which also keeps the validation cache's key stable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from graphql import ASTValidationRule
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from schema.error_codes import client_error_rules

Rules = tuple[type[ASTValidationRule], ...]


@dataclass(slots=True)
class OperationRules:
    """What every operation on one schema is parsed and validated with (built once)."""

    max_tokens: int
    added: Sequence[type[ASTValidationRule]]
    hide_suggestions: bool
    introspection: bool
    _final: dict[Rules, Rules] = field(default_factory=dict)

    def rules_for(self, base: Rules) -> Rules:
        """``base`` (Strawberry's rules for the operation) with ours added: the limit rules,
        the client-error rules swapped in, and the introspection ban when it is off."""
        found = self._final.get(base)
        if found is None:
            found = client_error_rules(base + tuple(self.added), self.hide_suggestions)
            if not self.introspection:
                found += (NoSchemaIntrospectionCustomRule,)
            if len(self._final) < 8:  # Strawberry passes one base tuple; bound it regardless
                self._final[base] = found
        return found


class ApplyOperationRules(SchemaExtension):
    def __init__(self, rules: OperationRules) -> None:
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.rules.max_tokens
        context.validation_rules = self.rules.rules_for(context.validation_rules)
        yield
