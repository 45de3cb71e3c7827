"""What every paged list shares of Relay's connection model: `PageInfo` and the step from a
resolvers `Page` to edges. Each domain declares its own `XEdge` / `XConnection` types (their
descriptions differ); the global ID and `Node` interface live in schema/node.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import strawberry

from resolvers.cursors import Page

T = TypeVar("T")


@strawberry.type(description="Relay page info.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items come before this page.")
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first edge; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge, to pass as `after`; null when the page is empty."
    )


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


def cursored(page: Page[T]) -> Iterator[tuple[T, str]]:
    """Each item of the page with its cursor, in page order: the makings of its edges."""
    return zip(page.items, page.cursors, strict=True)
