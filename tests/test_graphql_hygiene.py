"""What protects the GraphQL endpoint: limits, transport rules and error masking."""

from __future__ import annotations

import logging

import httpx
import pytest
import strawberry

from schema import build_schema
from schema.error_codes import SchemaWithErrorCodes
from schema.extensions import MaskErrorsWithRequestId
from settings import Settings
from tests.conftest import GraphQLClient, server_environment


async def test_mutations_over_get_are_refused(http: httpx.AsyncClient):
    query = 'mutation { tokenCreate(input: {email: "a@b.co", password: "x"}) { accessToken } }'
    response = await http.get("/graphql", params={"query": query})
    assert response.status_code in {400, 405}


async def test_queries_over_get_work(http: httpx.AsyncClient):
    response = await http.get("/graphql", params={"query": "{ viewer { id } }"})
    assert response.status_code == 200
    body = response.json()  # besides extensions.cost, which every response carries
    assert body["data"] == {"viewer": None} and "errors" not in body


async def test_array_batches_are_refused(http: httpx.AsyncClient):
    batch = [{"query": "{ viewer { id } }"}] * 10
    response = await http.post("/graphql", json=batch)
    assert response.status_code == 400


async def test_101_aliases_are_refused(gql: GraphQLClient):
    fields = " ".join(f"a{i}: viewer {{ id }}" for i in range(101))
    result = await gql.post("{ " + fields + " }")
    assert result.get("data") is None
    assert "aliases" in result["errors"][0]["message"]


async def test_the_deepest_real_query_fits_the_depth_limit(gql: GraphQLClient):
    deep = (
        "{ viewer { profile { stats { platformBreakdown { tiktok { history { edges { node {"
        " followers } } } } } } } } }"
    )
    assert "errors" not in await gql.post(deep)


async def test_queries_deeper_than_the_limit_are_refused():
    schema = build_schema(Settings.from_env(server_environment(MAX_QUERY_DEPTH="2")))
    result = await schema.execute("{ viewer { profile { stats { totalFollowers } } } }")
    assert result.errors and "exceeds maximum operation depth" in result.errors[0].message
    # Fragments cannot hide depth from the limiter.
    result = await schema.execute(
        "{ viewer { ...U } } fragment U on User { profile { stats { totalFollowers } } }"
    )
    assert result.errors and "exceeds maximum operation depth" in result.errors[0].message


async def test_oversized_documents_are_refused(gql: GraphQLClient):
    document = "{ viewer { " + " ".join(["id"] * 4000) + " } }"
    result = await gql.post(document)
    assert result.get("data") is None
    assert "token" in result["errors"][0]["message"].lower()


async def test_invalid_queries_say_what_is_wrong(gql: GraphQLClient):
    result = await gql.post("{ viewer { nope } }")
    assert "Cannot query field 'nope'" in result["errors"][0]["message"]


async def test_request_body_over_the_limit_gets_413(http: httpx.AsyncClient):
    response = await http.post(
        "/graphql",
        content=b"{" + b" " * 400_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_each_response_carries_a_request_id(http: httpx.AsyncClient):
    response = await http.post("/graphql", json={"query": "{ viewer { id } }"})
    assert len(response.headers["x-request-id"]) >= 8
    echoed = await http.post(
        "/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"X-Request-ID": "client-chosen-id-123"},
    )
    assert echoed.headers["x-request-id"] == "client-chosen-id-123"
    spoofed = await http.post(
        "/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"X-Request-ID": "bad value; with spaces"},
    )
    assert spoofed.headers["x-request-id"] != "bad value; with spaces"


@strawberry.type
class _Broken:
    @strawberry.field
    def explode(self) -> str:
        raise RuntimeError("secret database password is hunter2")


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(caplog):
    # The schema logs the bug (with the request id); the extension masks it.
    schema = SchemaWithErrorCodes(query=_Broken, extensions=[MaskErrorsWithRequestId])

    class Ctx:
        request_id = "req-42"

    with caplog.at_level(logging.ERROR, logger="creatorgraph.errors"):
        result = await schema.execute("{ explode }", context_value=Ctx())
    error = result.errors[0]
    assert error.message == "Unexpected error."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "hunter2" not in str(error.formatted)
    assert "req-42" in caplog.text and "hunter2" in caplog.text


async def test_graphiql_is_served_in_development(http: httpx.AsyncClient):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_production_schema_refuses_introspection():
    schema = build_schema(Settings.from_env(server_environment(CREATORGRAPH_ENV="production")))
    result = await schema.execute("{ __schema { types { name } } }")
    assert result.errors and "introspection" in result.errors[0].message.lower()


@pytest.mark.parametrize("limit", ["abc", ""])
def test_settings_reject_nonsense(limit):
    from settings import SettingsError

    if limit == "":
        assert Settings.from_env(server_environment(PORT="")).port == 8000
    else:
        with pytest.raises(SettingsError):
            Settings.from_env(server_environment(PORT=limit))


async def test_validation_runs_once_per_distinct_document(monkeypatch: pytest.MonkeyPatch):
    """The validation cache must hit for a repeated document (validation is most of a cheap
    request's cost): the limit rules must not defeat its key by being rebuilt per request."""
    import uuid

    import schema.query_limits

    validations: list[object] = []
    validate = schema.query_limits.validate_document

    def counting_validate(*args: object) -> object:
        validations.append(args)
        return validate(*args)  # type: ignore[arg-type]  # forwards the arguments it was called with

    monkeypatch.setattr(schema.query_limits, "validate_document", counting_validate)
    built = build_schema(Settings.from_env(server_environment()))
    document = "{ __typename a%s: __typename }" % uuid.uuid4().hex  # noqa: UP031
    for _ in range(5):
        result = await built.execute(document)
        assert result.errors is None
    assert len(validations) == 1
