"""Limits on a document's size and structure, checked before the costly steps that follow.

Parsing is linear in the text, which MAX_DOCUMENT_CHARS bounds; validation is not (comparing
repeated selections is quadratic: 740 of them took 0.85 s of CPU), so MAX_SELECTIONS bounds
what validation may be handed, counted in one linear pass over the parsed document.
"""

from __future__ import annotations

from collections import Counter

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
    SelectionSetNode,
    ValueNode,
)

DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
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
    selection set (inline fragments included) is compared, subtree and all, with each earlier
    one, so the k-th occurrence counts k times its subtree: 250 copies of ``viewer { id }``
    weigh 62,750, not 500. Linear in
    the document: each fragment is counted once and remembered; a cycle counts 0 (validation
    refuses it)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> int:
        if name in counted:
            return counted[name]
        if name not in fragments or name in visiting:
            return 0
        visiting.add(name)
        counted[name] = selections(fragments[name].selection_set, Counter())
        visiting.discard(name)
        return counted[name]

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
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += selections(definition.selection_set, Counter())
        elif isinstance(definition, FragmentDefinitionNode):
            total += fragment(definition.name.value)
    return total
