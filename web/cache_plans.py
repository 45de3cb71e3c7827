"""What the response cache may do with a trusted document, decided from its text once.

Scope is decided from the document, never from an answer: an answer that happens to look the
same for everyone today (a public profile) may not be tomorrow (the owner makes it private and
still reads it), so a document that *can* answer differently per viewer is cached per viewer
whenever a token comes with it.

A document is viewer-dependent when it selects
- a root field outside ``PUBLIC_ROOT_FIELDS`` (``viewer``, ``profile`` — an owner reads their own
  private profile —, ``node``, ``profileMatches``, notifications, chat, admin fields…: when in
  doubt, per viewer), or
- anywhere, a field in ``VIEWER_FIELDS``: fields whose value depends on who asks wherever they
  appear (``preferences`` is shown to its owner only, ``unreadNotificationCount`` is the
  viewer's, ``profile`` of a person hides a private profile from others but not from its owner).

A root field in ``COLLECTION_TAGS`` makes the answer depend on rows it may not contain, so it is
tagged with the collection (``Discovery``: any change of membership or order announces it).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from resolvers.stats_events import DISCOVERY

PUBLIC_ROOT_FIELDS = frozenset({"profiles", "__typename"})
VIEWER_FIELDS = frozenset(
    {"viewer", "preferences", "unreadNotificationCount", "unreadCount", "profile", "isOwn"}
)
VIEWED_PROFILE_FIELDS = frozenset({"profile", "node"})
COLLECTION_TAGS = {"profiles": DISCOVERY, "search": DISCOVERY, "profileMatches": DISCOVERY}


@dataclass(frozen=True, slots=True)
class CachePlan:
    """How one operation of one trusted document is cached (only queries are)."""

    viewer_dependent: bool
    collection_tags: tuple[str, ...]
    # Root fields that read one profile: a hit counts as a view of it, as the resolver would.
    viewed_profile_fields: tuple[str, ...] = ()


def plans_for(text: str) -> dict[str | None, CachePlan]:
    """The plan of each query in ``text`` by operation name, and under None the plan of the
    only operation when there is one (what a request without ``operationName`` runs). A
    mutation, a subscription or an operation the text does not have has none: not cached."""
    try:
        document = parse(text)
    except GraphQLError:
        return {}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    plans: dict[str | None, CachePlan] = {}
    for operation in operations:
        if operation.operation != OperationType.QUERY:
            continue
        plan = _plan(operation, fragments)
        if operation.name is not None:
            plans[operation.name.value] = plan
        if len(operations) == 1:
            plans[None] = plan
    return plans


def _plan(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> CachePlan:
    roots = _field_names(operation.selection_set, fragments, recurse=False)
    everywhere = _field_names(operation.selection_set, fragments, recurse=True)
    viewer_dependent = bool(roots - PUBLIC_ROOT_FIELDS) or bool(everywhere & VIEWER_FIELDS)
    collections = tuple(
        sorted({COLLECTION_TAGS[name] for name in roots if name in COLLECTION_TAGS})
    )
    viewed = tuple(sorted(roots & VIEWED_PROFILE_FIELDS))
    return CachePlan(viewer_dependent, collections, viewed)


def _field_names(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    recurse: bool,
    seen: frozenset[str] = frozenset(),
) -> set[str]:
    """The field names selected (through fragments), at this level or at every level."""
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
            if recurse and selection.selection_set is not None:
                names |= _field_names(selection.selection_set, fragments, recurse=True, seen=seen)
        elif isinstance(selection, InlineFragmentNode):
            names |= _field_names(selection.selection_set, fragments, recurse=recurse, seen=seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                names |= _field_names(
                    fragment.selection_set, fragments, recurse=recurse, seen=seen | {name}
                )
    return names
