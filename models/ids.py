"""What a row id can be: every table's primary key is a BIGINT counted up from 1.

Ids and numbers read from clients (global IDs, cursors, follower bounds) are checked against
this before they reach a query, so none overflows a database parameter.
"""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1  # the largest value a BIGINT column holds


def is_row_id(value: object) -> bool:
    """Whether ``value`` could be a primary key: an int (not a bool) from 1 to ``BIGINT_MAX``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= BIGINT_MAX
