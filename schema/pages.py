"""Relay page info for the keyset pages the realtime resolvers return."""

from __future__ import annotations

from typing import Any

from resolvers.cursors import Page
from schema.profiles import PageInfo


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )
