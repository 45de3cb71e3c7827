"""Fields without a resolver read their attribute directly (schema/plain_fields.py)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLObjectType

from schema import build_schema
from schema.error_codes import SchemaWithErrorCodes
from schema.plain_fields import read_attributes_directly
from settings import Settings
from tests.conftest import server_environment


def test_the_built_schema_keeps_no_basic_field_resolver_of_strawberry():
    schema = build_schema(Settings.from_env(server_environment()))
    left = [
        f"{graphql_type.name}.{name}"
        for graphql_type in schema._schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType)
        for name, field in graphql_type.fields.items()
        if getattr(field.resolve, "__name__", None) == "_get_basic_result"
    ]
    assert left == []
    assert read_attributes_directly(schema._schema) == 0  # once is enough


@strawberry.type
class Thing:
    display_name: str

    @strawberry.field
    def shout(self) -> str:
        return self.display_name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(display_name="ada")


async def test_a_swapped_field_reads_the_python_attribute_and_resolvers_stay():
    schema = SchemaWithErrorCodes(query=Query)
    assert read_attributes_directly(schema._schema) == 1  # displayName; shout has a resolver
    result = await schema.execute("{ thing { displayName shout } }")
    assert result.errors is None
    assert result.data == {"thing": {"displayName": "ada", "shout": "ADA"}}
