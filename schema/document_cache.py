"""Parsed and validated documents, kept by their text under a budget in bytes.

Strawberry's parser and validation caches keep 1,024 entries each, whatever their size: 1,100
distinct 255 KB documents grew the process by 540 MB for good. This cache counts what it keeps
in bytes and only ever holds documents that passed the size, structure and validation limits.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError

# A parsed document takes far more memory than its text: measured with tracemalloc on the
# documents in tests/, the AST comes to about 70 bytes per character of text; with the text
# itself and the validation result, 80 is a fair upper estimate.
BYTES_PER_CHARACTER = 80
COSTS_PER_DOCUMENT = 16  # costs kept per document, one per operation and page-size variables


@dataclass(slots=True)
class PreparedDocument:
    """A document and what was learned about it: its validation errors for a set of rules,
    the variables its cost depends on, and the costs computed so far."""

    document: DocumentNode
    selections: int
    rules: tuple[type, ...] | None = None
    errors: list[GraphQLError] | None = None
    cost_variables: frozenset[str] | None = None
    costs: dict[tuple[object, ...], int] = field(default_factory=dict)

    def remember_cost(self, key: tuple[object, ...], cost: int) -> None:
        if len(self.costs) >= COSTS_PER_DOCUMENT:
            self.costs.pop(next(iter(self.costs)))
        self.costs[key] = cost


class DocumentCache:
    """Least recently used first out, once the texts kept weigh more than ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def weight(text: str) -> int:
        return len(text) * BYTES_PER_CHARACTER

    def get(self, text: str) -> PreparedDocument | None:
        entry = self._entries.get(text)
        if entry is not None:
            self._entries.move_to_end(text)
        return entry

    def put(self, text: str, entry: PreparedDocument) -> None:
        weight = self.weight(text)
        if weight > self.max_bytes:
            return
        previous = self._entries.pop(text, None)
        if previous is not None:
            self.bytes -= weight
        self._entries[text] = entry
        self.bytes += weight
        while self.bytes > self.max_bytes:
            evicted, _ = self._entries.popitem(last=False)
            self.bytes -= self.weight(evicted)
