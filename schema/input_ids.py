"""IDs sent in inputs. An ID that is not one of ours, or names another type, is treated as the
ID of a row that does not exist (0), so it answers exactly like an unknown ID."""

from __future__ import annotations

from schema.node import decode_id

MISSING = 0  # no row has id 0


def pk_of(global_id: str, type_name: str) -> int:
    decoded = decode_id(global_id, type_name)
    return decoded[1] if decoded is not None else MISSING


def optional_pk_of(global_id: str | None, type_name: str) -> int | None:
    return None if global_id is None else pk_of(global_id, type_name)
