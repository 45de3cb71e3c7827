"""Fields without a resolver read their attribute in one call.

Strawberry resolves such a field through three layers (its ``_get_basic_result`` closure,
``StrawberryField.get_result``, and the ``base_resolver`` and ``python_name`` properties) before
the ``getattr`` its config names: four Python calls for each value. A profile read has some
twenty of them, about 80 calls of 2,800 (bench/strawberry_cost.py). Each is swapped here, once,
for a function that makes the same ``getattr`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]


def attribute_reader(name: str) -> Resolver:
    """What Strawberry's basic-field resolver returns, ``getattr(source, name)``, read directly."""

    def read(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    read._is_default = True  # type: ignore[attr-defined]  # as Strawberry marks its own (tracing reads it)
    return read


def read_attributes_directly(schema: GraphQLSchema) -> int:
    """Swaps the resolver of every basic field (no resolver, no field extension, the default
    ``getattr``) of the object types of ``schema``; answers how many were swapped."""
    swapped = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and definition.default_resolver is getattr
                and field.subscribe is None
                and not field.args
                and getattr(field.resolve, "__name__", None) == "_get_basic_result"
                and definition.python_name
            ):
                field.resolve = attribute_reader(definition.python_name)
                swapped += 1
    return swapped
