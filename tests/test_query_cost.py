"""Query cost: computed before anything runs, refused over the limit, metered per client."""

from __future__ import annotations

import ast
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse

from schema import build_schema
from schema.cost import operation_cost, variables_read
from schema.document_limits import count_selections
from settings import Settings
from tests.conftest import (
    Account,
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
    uses_postgres,
)
from tests.server_process import served

PLATFORMS = ("tiktok", "instagram", "youtube", "twitch", "twitter")
HISTORY = "history(first: 100) { edges { node { followers engagement takenAt } } }"
# The attack: 552 bytes, 4.2 s and 4.6 MB of response before cost analysis.
COST_ATTACK = (
    "{ profiles(first: 100) { edges { node { displayName stats { platformBreakdown { "
    + " ".join(f"{p} {{ followers {HISTORY} }}" for p in PLATFORMS)
    + " } } } } } }"
)


def attack_aliases(count: int) -> str:
    """``count`` aliases of the attack, its per-platform part in a fragment so that the
    document stays under the 3,000-token limit, as an attacker would write it."""
    platforms = " ".join(f"{p} {{ ...P }}" for p in PLATFORMS)
    breakdown = f"stats {{ platformBreakdown {{ {platforms} }} }}"
    body = f"profiles(first: 100) {{ edges {{ node {{ {breakdown} }} }} }}"
    aliases = " ".join(f"a{i}: {body}" for i in range(count))
    return f"{{ {aliases} }} fragment P on PlatformStats {{ followers {HISTORY} }}"


def refusal(result: dict[str, Any], code: str) -> dict[str, Any]:
    assert result.get("data") is None, result
    error = result["errors"][0]
    assert error["extensions"]["code"] == code, error
    return error


async def test_the_nested_history_query_is_refused_before_it_runs(gql: GraphQLClient):
    error = refusal(await gql.post(COST_ATTACK), "QUERY_TOO_COMPLEX")
    assert error["extensions"]["cost"] > 100_000
    assert error["extensions"]["maxCost"] == 2000


async def test_the_refusal_reports_the_requested_cost_in_extensions(gql: GraphQLClient):
    result = await gql.post(COST_ATTACK)
    cost = result["extensions"]["cost"]
    assert cost["requestedQueryCost"] == result["errors"][0]["extensions"]["cost"]
    assert cost["actualQueryCost"] is None


async def test_thirty_aliases_of_the_nested_history_query_are_refused(gql: GraphQLClient):
    """Refused before validation even (the structural limit comes first and is cheaper); its
    cost, thirty times the single query's, would refuse it next."""
    document = attack_aliases(30)
    refusal(await gql.post(document), "TOO_MANY_SELECTIONS")
    schema = build_schema(Settings.from_env(server_environment()))._schema
    assert operation_cost(schema, parse(document), None, {}) > 30 * 100_000


async def test_the_same_query_with_small_pages_runs(gql: GraphQLClient):
    small = COST_ATTACK.replace("first: 100", "first: 3")
    result = await gql.post(small)
    assert "errors" not in result, result
    assert result["extensions"]["cost"]["requestedQueryCost"] <= 2000


async def test_page_size_variables_count_in_the_cost(gql: GraphQLClient):
    query = COST_ATTACK.replace("profiles(first: 100)", "profiles(first: $n)")
    query = "query Attack($n: Int) " + query
    assert "errors" not in await gql.post(query, {"n": 1})
    refusal(await gql.post(query, {"n": 100}), "QUERY_TOO_COMPLEX")


async def test_a_page_size_variable_default_counts_in_the_cost(gql: GraphQLClient):
    """A default in the operation stands in for a variable the request leaves out."""
    query = COST_ATTACK.replace("profiles(first: 100)", "profiles(first: $n)")
    assert "errors" not in await gql.post("query Attack($n: Int = 1) " + query)
    refusal(await gql.post("query Attack($n: Int = 100) " + query), "QUERY_TOO_COMPLEX")


@pytest.mark.parametrize("earlier", [True, 1.0])
async def test_a_page_size_s_cost_does_not_depend_on_an_earlier_request(
    gql: GraphQLClient, earlier: object
):
    """``true`` and ``1.0`` equal ``1`` as dictionary keys, not as page sizes: a request that
    sent one of them first must not leave its cost to a later ``first: 1``."""
    query = (
        f"query PageOf{type(earlier).__name__}($n: Int) "
        "{ profiles(first: $n) { edges { node { displayName } } } }"
    )
    fresh = query.replace("{ profiles(", "{ page: profiles(")  # its own cache entry
    expected = (await gql.post(fresh, {"n": 1}))["extensions"]["cost"]["requestedQueryCost"]
    await gql.post(query, {"n": earlier})
    after = await gql.post(query, {"n": 1})
    assert "errors" not in after, after
    assert after["extensions"]["cost"]["requestedQueryCost"] == expected


@pytest.mark.parametrize("first", [100_000, 101, 0, -1])
async def test_a_literal_first_out_of_range_fails_validation(
    gql: GraphQLClient, first: int, monkeypatch: pytest.MonkeyPatch
):
    """Refused with the other validation errors, before any resolver runs (it used to be
    refused only while resolving)."""
    import resolvers.discovery

    def never(_: int | None) -> int:
        raise AssertionError("the resolver ran")

    monkeypatch.setattr(resolvers.discovery, "page_size", never)
    query = f"{{ profiles(first: {first}) {{ edges {{ cursor }} }} }}"
    error = refusal(await gql.post(query), "BAD_USER_INPUT")
    assert error["extensions"]["field"] == ["first"]
    assert error["extensions"]["userErrors"][0]["code"] == "OUT_OF_RANGE"


async def test_a_first_variable_out_of_range_is_refused_before_execution(gql: GraphQLClient):
    query = "query Q($n: Int) { profiles(first: $n) { edges { cursor } } }"
    error = refusal(await gql.post(query, {"n": 100_000}), "BAD_USER_INPUT")
    assert error["extensions"]["userErrors"][0]["code"] == "OUT_OF_RANGE"


async def test_a_first_variable_out_of_range_stops_the_document_before_any_resolver(
    gql: GraphQLClient,
):
    """Refused by the cost analysis, not by the profiles resolver: no field ran, so the error
    has no path, and the other root field was never resolved either."""
    query = "query Q($n: Int) { platforms { platform } profiles(first: $n) { edges { cursor } } }"
    result = await gql.post(query, {"n": 100_000})
    error = refusal(result, "BAD_USER_INPUT")
    assert "path" not in error, error


async def test_a_nested_first_out_of_range_is_refused(gql: GraphQLClient, account: Account):
    query = (
        "{ viewer { profile { stats { platformBreakdown { tiktok {"
        " history(first: 5000) { edges { cursor } } } } } } } }"
    )
    refusal(await gql.post(query, token=account.access_token), "BAD_USER_INPUT")


async def test_every_response_carries_its_cost_and_budget(gql: GraphQLClient):
    result = await gql.post("{ profiles(first: 10) { edges { node { displayName } } } }")
    assert "errors" not in result
    cost = result["extensions"]["cost"]
    # edges and node (2 objects) on each of 10 edges, plus the connection itself.
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 21
    throttle = cost["throttleStatus"]
    assert set(throttle) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    assert 0 <= throttle["currentlyAvailable"] < throttle["maximumAvailable"]


async def test_mutations_weigh_more_than_their_selections(gql: GraphQLClient):
    result = await gql.post(
        'mutation { tokenCreate(input: {email: "nobody@example.com", password: "wrong"})'
        " { userErrors { code } } }"
    )
    assert result["extensions"]["cost"]["requestedQueryCost"] >= 100


def documents_in_tests() -> list[str]:
    """Every GraphQL document the test suite sends, as written in its modules."""
    found: list[str] = []
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip()
                if text.startswith(("query", "mutation", "subscription")) and "{" in text:
                    with contextlib.suppress(GraphQLSyntaxError):  # pieces of a document
                        parse(text)
                        found.append(text)
    return found


def test_every_document_in_the_tests_fits_the_default_limits():
    """The defaults must not refuse what the frontend sends: each document of the suite, with
    every page-size variable at its largest (100), stays under MAX_QUERY_COST and
    MAX_SELECTIONS."""
    settings = Settings.from_env(server_environment())
    schema = build_schema(settings)._schema
    checked = 0
    for text in documents_in_tests():
        document = parse(text)
        assert count_selections(document) <= settings.max_selections, text
        largest = dict.fromkeys(variables_read(document), 100)
        for operation in document.definitions:
            if isinstance(operation, OperationDefinitionNode):
                name = operation.name.value if operation.name else None
                assert operation_cost(schema, document, name, largest) <= settings.max_query_cost
                checked += 1
    assert checked > 40


@pytest.fixture(scope="module")
async def metered(server: RunningServer) -> AsyncIterator[str]:
    """A server whose clients may spend 1,000 points a minute, in its own process."""
    env = server_environment(QUERY_COST_BUDGET="1000/minute")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'metered.sqlite3'}"
    async with served(env) as process:
        yield process.url


async def test_each_client_spends_its_own_budget_and_is_told_when_to_retry(metered: str):
    query = "{ profiles(first: 100) { edges { node { stats { totalFollowers } } } } }"
    async with httpx.AsyncClient(base_url=metered, timeout=30) as http:
        gql = GraphQLClient(http)
        account = await register(gql)  # anonymous: spent from the address's budget
        spent = [await gql.post(query) for _ in range(2)]
        assert [r["extensions"]["cost"]["requestedQueryCost"] for r in spent] == [301, 301]
        left = [r["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] for r in spent]
        assert left[0] <= 1000 - 301 and left[1] <= left[0] - 301
        throttled = await gql.post(query)
        error = refusal(throttled, "RATE_LIMITED")
        assert 1 <= error["extensions"]["retryAfter"] <= 60
        assert throttled["extensions"]["cost"]["actualQueryCost"] is None
        # The signed-in user has a budget of their own, untouched by the address's.
        mine = await gql.post(query, token=account.access_token)
        assert "errors" not in mine
        assert mine["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1000 - 301


async def test_an_ipv6_client_spends_one_budget_for_its_whole_64(metered: str):
    """Anonymous budgets are per client address, and an IPv6 client counts by its /64 (as the
    other address limits do), or it could take a fresh address from its block for every query."""
    query = {"query": "{ profiles(first: 100) { edges { node { stats { totalFollowers } } } } }"}

    async def ask(client: str) -> dict[str, Any]:
        # The test server trusts loopback as a proxy, so each request names its own client.
        response = await http.post("/graphql", json=query, headers={"X-Forwarded-For": client})
        assert response.status_code == 200, response.text
        return response.json()

    async with httpx.AsyncClient(base_url=metered, timeout=30) as http:
        answers = [await ask(f"2001:db8:1:2::{n:x}") for n in range(1, 5)]
        assert [("errors" in a) for a in answers] == [False, False, False, True]
        refusal(answers[-1], "RATE_LIMITED")
        assert "errors" not in await ask("2001:db8:1:3::1")  # another /64: its own budget
