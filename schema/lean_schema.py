"""Per-operation work Strawberry does for features this schema does not use, left out.

Kept apart from the schema's error handling (schema/error_codes.py): these overrides change no
answer, only what an operation costs (bench/strawberry_cost.py).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import MiddlewareManager
from strawberry.extensions import SchemaExtension


class LeanSchema(strawberry.Schema):
    def _get_middleware_manager(self, extensions: list[SchemaExtension]) -> Any:
        """No manager when no extension resolves fields. graphql-core asks a manager for every
        field's resolver even when it holds no middleware (25 calls on a profile read); with
        none, it calls each resolver as it is, which is what an empty manager answers."""
        manager: MiddlewareManager = super()._get_middleware_manager(extensions)
        return manager if manager.middlewares else None
