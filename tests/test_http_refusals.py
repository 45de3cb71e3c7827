"""Requests refused before GraphQL runs get a GraphQL-shaped JSON body with a code and the HTTP
status that says why, never plain text."""

from __future__ import annotations

import httpx
import pytest


def assert_refusal(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["message"]
    assert error["extensions"] == {"code": code}


async def test_a_mutation_over_get_is_405_with_allow(http: httpx.AsyncClient):
    response = await http.get("/graphql", params={"query": "mutation { __typename }"})
    assert_refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"


async def test_other_methods_are_405_with_allow(http: httpx.AsyncClient):
    response = await http.put("/graphql", json={"query": "{ __typename }"})
    assert_refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


async def test_an_unsupported_content_type_is_415(http: httpx.AsyncClient):
    response = await http.post(
        "/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"}
    )
    assert_refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_an_oversized_body_is_413(http: httpx.AsyncClient):
    response = await http.post(
        "/graphql",
        content=b"{" + b" " * 400_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_refusal(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    "body",
    [b'[{"query": "{ __typename }"}]', b'{"query": ', b"{}"],
    ids=["batch", "malformed-json", "no-query"],
)
async def test_requests_that_are_not_one_operation_are_400(http: httpx.AsyncClient, body: bytes):
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert_refusal(response, 400, "BAD_REQUEST")
