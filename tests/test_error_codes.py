"""Every GraphQL error tells the client what kind of mistake it made, and none reveals the
schema when introspection is off."""

from __future__ import annotations

import pytest

from schema import build_schema
from settings import Settings
from tests.conftest import Account, GraphQLClient, server_environment

HUGE_FOLLOWERS = "{ profiles(filter: {minFollowers: 99999999999999999999}) { edges { cursor } } }"
BY_FOLLOWERS = """
query ($min: BigInt) { profiles(filter: {minFollowers: $min}) { edges { cursor } } }"""


def codes(result: dict) -> list[str]:
    return [error["extensions"]["code"] for error in result["errors"]]


async def test_an_out_of_range_bigint_literal_is_bad_input(gql: GraphQLClient):
    result = await gql.post(HUGE_FOLLOWERS)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "BigInt" in result["errors"][0]["message"]


async def test_an_out_of_range_bigint_variable_is_bad_input(gql: GraphQLClient):
    result = await gql.post(BY_FOLLOWERS, {"min": 99999999999999999999})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "$min" in result["errors"][0]["message"]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ('{ profiles(first: "ten") { edges { cursor } } }', None),
        ("{ profiles(orderBy: {field: NOPE}) { edges { cursor } } }", None),
        ("query ($n: Int) { profiles(first: $n) { edges { cursor } } }", {"n": "ten"}),
        ("query ($n: Int!) { profiles(first: $n) { edges { cursor } } }", {}),
        (
            "query ($m: BigInt) { profiles(filter: {minFollowers: $m}) { edges { cursor } } }",
            {"m": 1.5},
        ),
        ('{ profiles(after: "not-a-cursor") { edges { cursor } } }', None),
        ('mutation { notificationMarkAllRead(input: {before: "soon"}) { __typename } }', None),
        (
            "mutation ($at: DateTime) { notificationMarkAllRead(input: {before: $at}) "
            "{ __typename } }",
            {"at": "yesterday"},
        ),
    ],
    ids=[
        "wrong-literal-type",
        "unknown-enum",
        "wrong-variable-type",
        "missing-variable",
        "fractional-bigint",
        "garbage-cursor",
        "datetime-literal",
        "datetime-variable",
    ],
)
async def test_bad_values_are_bad_input(gql: GraphQLClient, document: str, variables):
    assert codes(await gql.post(document, variables)) == ["BAD_USER_INPUT"]


MARK_READ_BEFORE = """
mutation ($at: DateTime) { notificationMarkAllRead(input: {before: $at}) { unreadCount } }"""


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"], ids=["after", "before"]
)
async def test_a_datetime_past_the_calendar_in_utc_is_bad_input(
    gql: GraphQLClient, account: Account, moment: str
):
    """Found by tests/test_fuzz_schema.py on PostgreSQL: year 10000 in UTC reached the database."""
    literal = (
        f'mutation {{ notificationMarkAllRead(input: {{before: "{moment}"}}) {{ unreadCount }} }}'
    )
    for document, variables in ((literal, None), (MARK_READ_BEFORE, {"at": moment})):
        result = await gql.post(document, variables, token=account.access_token)
        assert codes(result) == ["BAD_USER_INPUT"], result


async def test_a_document_that_does_not_parse_says_so(gql: GraphQLClient):
    assert codes(await gql.post("{ viewer { ")) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_document_the_schema_refuses_says_so(gql: GraphQLClient):
    assert codes(await gql.post("{ viewer { nope } }")) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_suggestions_are_offered_while_introspection_is_on():
    schema = build_schema(Settings.from_env(server_environment(INTROSPECTION="true")))
    result = await schema.execute("{ viewer { profile { stat } } }")
    assert "Did you mean 'stats'?" in result.errors[0].message


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ viewer { profile { stat } } }", None),
        ("{ profiles(fillter: {}) { edges { cursor } } }", None),
        (
            "query ($f: ProfileFilter) { profiles(filter: $f) { edges { cursor } } }",
            {"f": {"serch": "x"}},
        ),
    ],
    ids=["field", "argument", "input-field-in-variable"],
)
async def test_no_suggestions_reveal_the_schema_when_introspection_is_off(document, variables):
    schema = build_schema(Settings.from_env(server_environment(INTROSPECTION="false")))
    result = await schema.execute(document, variable_values=variables)
    assert result.errors
    for error in result.errors:
        assert "Did you mean" not in error.message
        assert error.extensions["code"] in {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}
