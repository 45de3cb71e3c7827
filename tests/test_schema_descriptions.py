"""API.md: "Every type and field has a description." Checked against the built schema."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    specified_scalar_types,
)

from schema import build_schema
from settings import Settings
from tests.conftest import server_environment


def test_every_type_and_field_has_a_description() -> None:
    schema = build_schema(Settings.from_env(server_environment()))._schema
    missing: list[str] = []
    for name, type_ in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLScalarType) and name in specified_scalar_types:
            continue
        if not (type_.description or "").strip():
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
    assert missing == [], f"{len(missing)} types/fields lack a description: {missing}"


def test_every_error_code_says_what_it_means() -> None:
    """Clients branch on ErrorCode; each value's description tells them when it is sent."""
    schema = build_schema(Settings.from_env(server_environment()))._schema
    codes = schema.type_map["ErrorCode"]
    assert isinstance(codes, GraphQLEnumType)
    undescribed = [name for name, value in codes.values.items() if not value.description]
    assert undescribed == []
