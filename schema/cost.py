"""The static cost of an operation, computed from its document and variables before it runs.

Shopify's rule, so clients can reason about it the same way: a field that returns an object
costs 1 and a scalar or enum 0; a connection (a field with a ``first`` or ``last`` argument)
costs 1 plus its ``edges`` selection times the page size asked for (the argument's default, else
the default page size when absent), so nested connections multiply; each mutation adds its
weight, high for the ones that hash or verify a password. Interfaces and unions count every
fragment selected on them: an upper bound, never an underestimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.type.definition import GraphQLNamedType

from resolvers.cursors import PAGE_DEFAULT, PAGE_MAX

PAGE_ARGUMENTS = ("first", "last")
PAGE_MIN = 1
# The lists a connection multiplies; pageInfo and other siblings are paid once.
PAGED_SELECTIONS = frozenset({"edges", "nodes"})

# Mutations that hash or verify a password (argon2id: tens of milliseconds of CPU and 64 MiB
# each) — one per request, and heavy on the budget.
PASSWORD_MUTATIONS = frozenset(
    {
        "accountRegister",
        "tokenCreate",
        "accountDelete",
        "accountEmailChange",
        "passwordResetConfirm",
        "passwordChange",
    }
)
PASSWORD_MUTATION_WEIGHT = 100
# Mutations that may call a platform data provider.
PROVIDER_MUTATIONS = frozenset(
    {
        "socialSync",
        "socialSyncBatch",
        "socialAccountConnect",
        "socialAccountRefresh",
        "socialAccountRefreshAll",
    }
)
PROVIDER_MUTATION_WEIGHT = 20
MUTATION_WEIGHT = 10


def mutation_weight(name: str) -> int:
    if name in PASSWORD_MUTATIONS:
        return PASSWORD_MUTATION_WEIGHT
    if name in PROVIDER_MUTATIONS:
        return PROVIDER_MUTATION_WEIGHT
    return MUTATION_WEIGHT


class PageSizeOutOfRange(ValueError):
    """A ``first``/``last`` outside 1–100, sent as a variable (literals fail validation)."""

    def __init__(self, argument: str, value: int) -> None:
        super().__init__(f"{argument} must be from {PAGE_MIN} to {PAGE_MAX}, not {value}.")
        self.argument = argument
        self.value = value


def variables_read(document: DocumentNode) -> frozenset[str]:
    """The variables that can change the cost: those passed as ``first`` or ``last``. The
    cost cache keys on their values only, so other variables do not fragment it."""
    names: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    if argument.name.value in PAGE_ARGUMENTS and isinstance(
                        argument.value, VariableNode
                    ):
                        names.add(argument.value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode):
                visit(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            visit(definition.selection_set)
    return frozenset(names)


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, object]
    defaults: Mapping[str, object]
    fragment_costs: dict[str, int] = field(default_factory=dict)
    visiting: set[str] = field(default_factory=set)

    def selection_set(self, parent: GraphQLNamedType, selection_set: SelectionSetNode) -> int:
        return sum(self.selection(parent, s) for s in selection_set.selections)

    def selection(self, parent: GraphQLNamedType, node: object) -> int:
        if isinstance(node, FieldNode):
            return self.field(parent, node)
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            scope = self.schema.get_type(condition.name.value) if condition else parent
            return self.selection_set(scope or parent, node.selection_set)
        if isinstance(node, FragmentSpreadNode):
            return self.fragment(node.name.value)
        return 0

    def fragment(self, name: str) -> int:
        if name in self.fragment_costs:
            return self.fragment_costs[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:  # unknown or cyclic: validation refuses
            return 0
        self.visiting.add(name)
        scope = self.schema.get_type(definition.type_condition.name.value)
        cost = self.selection_set(scope, definition.selection_set) if scope else 0
        self.visiting.discard(name)
        self.fragment_costs[name] = cost
        return cost

    def field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        definition = self.definition(parent, node.name.value)
        if definition is None:
            return 0
        returns = get_named_type(definition.type)
        if is_leaf_type(returns) or node.selection_set is None:
            return 0
        size = self.page_size(definition, node)
        if size is None:
            return 1 + self.selection_set(returns, node.selection_set)
        total = 1
        for child in node.selection_set.selections:
            cost = self.selection(returns, child)
            paged = isinstance(child, FieldNode) and child.name.value in PAGED_SELECTIONS
            total += cost * size if paged else cost
        return total

    def definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def page_size(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """The page size asked for, or None when the field is not paged."""
        paged = [name for name in PAGE_ARGUMENTS if name in definition.args]
        if not paged:
            return None
        sizes: list[int] = []
        for name in paged:
            value = self.argument(definition, node, name)
            if isinstance(value, int) and not isinstance(value, bool):
                if not PAGE_MIN <= value <= PAGE_MAX:
                    raise PageSizeOutOfRange(name, value)
                sizes.append(value)
        return max(sizes) if sizes else PAGE_DEFAULT

    def argument(self, definition: GraphQLField, node: FieldNode, name: str) -> object:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, VariableNode):
                variable = argument.value.name.value
                if variable in self.variables:
                    return self.variables[variable]
                return self.defaults.get(variable)
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            return None
        default = definition.args[name].default_value
        return default if isinstance(default, int) else None


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, object] | None,
) -> int:
    """The requested cost of the operation the request runs (0 when there is none to run).

    Raises PageSizeOutOfRange for a ``first``/``last`` variable outside its bounds."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walk = _Walk(
        schema,
        {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)},
        variables or {},
        _variable_defaults(operation),
    )
    cost = walk.selection_set(root, operation.selection_set)
    if operation.operation is OperationType.MUTATION:
        cost += sum(mutation_weight(name) for name in root_field_names(document, operation))
    return cost


def root_field_names(document: DocumentNode, operation: OperationDefinitionNode) -> list[str]:
    """The root fields an operation runs, through fragments: once per response key, since
    selections under the same key merge into one execution."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: dict[str, str] = {}  # response key → field name
    seen: set[str] = set()

    def visit(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                names.setdefault(key, selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:  # spreads repeat, cycles end
                    seen.add(name)
                    visit(fragments[name].selection_set)
                    seen.discard(name)

    visit(operation.selection_set)
    return list(names.values())


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, object]:
    defaults: dict[str, object] = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            defaults[definition.variable.name.value] = value_from_ast_untyped(
                definition.default_value
            )
    return defaults
