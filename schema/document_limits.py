"""Limits on a document's size and structure, checked before the costly steps that follow.

Parsing is linear in the text, which MAX_DOCUMENT_CHARS bounds; validation is not (comparing
repeated selections is quadratic: 740 of them took 0.85 s of CPU), so MAX_SELECTIONS bounds
what validation may be handed, counted in one linear pass over the parsed document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValueNode,
)

DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
# Bounds the field lists gathered from nested fragments (a document that reaches it weighs far
# more than any limit, so counting stops growing there).
MAX_COLLECTED_FIELDS = 100_000
TOO_MANY_SELECTIONS = "TOO_MANY_SELECTIONS"


def document_too_large(chars: int, max_chars: int) -> GraphQLError:
    return GraphQLError(
        f"The document has {chars} characters; the limit is {max_chars}.",
        extensions={"code": DOCUMENT_TOO_LARGE, "maxChars": max_chars},
    )


def too_many_selections(selections: int, max_selections: int) -> GraphQLError:
    return GraphQLError(
        f"The document weighs {selections} selections; the limit is {max_selections}.",
        extensions={
            "code": TOO_MANY_SELECTIONS,
            "selections": selections,
            "maxSelections": max_selections,
        },
    )


def count_selections(document: DocumentNode) -> int:
    """Fields, fragment spreads and literal argument values (each list item and input field:
    validation checks every one), weighted by the validation work they cause.

    A fragment's body counts at its definition and again at each spread, so nesting fragments
    cannot multiply work unseen. A field whose response key already appeared in the same
    selection set (inline fragments and the top-level fields of spread fragments included:
    validation compares across them too) is compared, subtree and all, with each earlier one,
    so the k-th occurrence counts k times its subtree: 250 copies of ``viewer { id }`` weigh
    62,750, not 500, and so do 250 fragments each selecting ``name``. Each fragment is counted
    once and remembered; a cycle counts 0 (validation refuses it)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}
    visiting: set[str] = set()
    top_level: dict[str, list[tuple[str, int]]] = {}

    def fragment(name: str) -> int:
        if name in counted:
            return counted[name]
        if name not in fragments or name in visiting:
            return 0
        visiting.add(name)
        counted[name] = selections(fragments[name].selection_set, Counter())
        visiting.discard(name)
        return counted[name]

    def fragment_fields(name: str) -> list[tuple[str, int]]:
        """A fragment's top-level fields (spreads and inline fragments expanded) as (response
        key, weight of one comparison), for the selection sets it is spread into."""
        if name in top_level:
            return top_level[name]
        if name not in fragments or name in visiting:
            return []
        visiting.add(name)
        top_level[name] = fields_in(fragments[name].selection_set, set())
        visiting.discard(name)
        return top_level[name]

    def fields_in(selection_set: SelectionSetNode, spread: set[str]) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = sum(values(a.value) for a in selection.arguments or ())
                inner += selections(selection.selection_set, Counter())
                found.append(((selection.alias or selection.name).value, 1 + inner))
            elif isinstance(selection, InlineFragmentNode):
                found += fields_in(selection.selection_set, spread)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in spread:
                spread.add(selection.name.value)  # validation collects each name once per set
                found += fragment_fields(selection.name.value)
            if len(found) > MAX_COLLECTED_FIELDS:  # far over any limit already: stop growing
                break
        return found

    def values(value: ValueNode) -> int:
        if isinstance(value, ListValueNode):
            return 1 + sum(values(v) for v in value.values)
        if isinstance(value, ObjectValueNode):
            return 1 + sum(values(f.value) for f in value.fields)
        return 1

    def selections(selection_set: SelectionSetNode | None, keys: Counter[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                keys[key] += 1
                inner = sum(values(a.value) for a in selection.arguments or ())
                inner += selections(selection.selection_set, Counter())
                total += keys[key] * (1 + inner)
            elif isinstance(selection, InlineFragmentNode):
                total += 1 + selections(selection.selection_set, keys)
            elif isinstance(selection, FragmentSpreadNode):
                total += 1 + fragment(selection.name.value)
                # Its body counted once above; each of its fields is also compared with the
                # earlier fields of this set that share its response key.
                for key, weight in fragment_fields(selection.name.value):
                    keys[key] += 1
                    total += (keys[key] - 1) * weight
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += selections(definition.selection_set, Counter())
        elif isinstance(definition, FragmentDefinitionNode):
            total += fragment(definition.name.value)
    return total


def introspection_only(document: DocumentNode) -> bool:
    """Whether every operation selects, at its root, only schema meta-fields (``__schema``,
    ``__type``, ``__typename``), fragments and inline fragments included."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def meta_only(selections: Iterable[SelectionNode], seen: frozenset[str]) -> bool:
        for selection in selections:
            if isinstance(selection, FieldNode):
                if not selection.name.value.startswith("__"):
                    return False
            elif isinstance(selection, InlineFragmentNode):
                if not meta_only(selection.selection_set.selections, seen):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    return False
                if not meta_only(fragment.selection_set.selections, seen | {name}):
                    return False
        return True

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        meta_only(op.selection_set.selections, frozenset()) for op in operations
    )
