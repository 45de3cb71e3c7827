"""Limits on a document's size and structure, checked before the costly steps that follow.

Parsing is linear in the text, which MAX_DOCUMENT_CHARS bounds; validation is not (comparing
repeated selections is quadratic: 740 of them took 0.85 s of CPU), so MAX_SELECTIONS bounds
what validation may be handed, counted in one pass over the parsed document.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
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
        f"The document selects {selections} fields; the limit is {max_selections}.",
        extensions={
            "code": TOO_MANY_SELECTIONS,
            "selections": selections,
            "maxSelections": max_selections,
        },
    )


def count_selections(document: DocumentNode) -> int:
    """Fields and fragment spreads, a fragment's body counted at its definition and again at
    each spread, so nesting fragments cannot multiply work unseen. Linear in the document:
    each fragment is counted once and remembered; a cycle counts 0 (validation refuses it)."""
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
        counted[name] = selections(fragments[name].selection_set)
        visiting.discard(name)
        return counted[name]

    def selections(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            total += 1
            if isinstance(selection, FieldNode | InlineFragmentNode):
                total += selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment(selection.name.value)
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += selections(definition.selection_set)
        elif isinstance(definition, FragmentDefinitionNode):
            total += fragment(definition.name.value)
    return total
