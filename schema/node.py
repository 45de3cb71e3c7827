"""Opaque global IDs and the ``Node`` interface."""

from __future__ import annotations

import base64
import binascii

import strawberry

from models.ids import is_row_id


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's global ID.")


def encode_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def decode_id(global_id: str, expected: str | None = None) -> tuple[str, int] | None:
    """The (type, primary key) behind a global ID, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
        type_name, pk = raw.split(":", 1)
        number = int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if expected is not None and type_name != expected:
        return None
    if not is_row_id(number):
        return None
    return type_name, number
