"""HTTP caching and compression of GraphQL answers (issue 9, item 4): validators and
Cache-Control on GET queries, no-store on writes, gzip above a size."""

from __future__ import annotations

import json

import httpx

from tests.conftest import Account

PROFILE = "query($id: ID!) { profile(id: $id) { id displayName } }"
DISCOVERY = "query($first: Int, $orderBy: ProfileOrder) { profiles(first: $first, orderBy: $orderBy) { edges { node { id } } } }"  # noqa: E501
LARGE = "{ __schema { types { name description } } }"


def vary(response: httpx.Response) -> set[str]:
    return {token.strip() for token in response.headers["vary"].split(",")}


async def test_an_anonymous_get_is_public_with_a_strong_etag_and_revalidates(
    http: httpx.AsyncClient, account: Account
):
    params = {"query": PROFILE, "variables": json.dumps({"id": account.profile_id})}
    first = await http.get("/graphql", params=params)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=30"
    assert {"Authorization", "Accept-Encoding", "Origin"} <= vary(first)
    again = await http.get("/graphql", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = await http.get("/graphql", params=params, headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


async def test_a_signed_in_get_is_private_and_writes_are_never_stored(
    http: httpx.AsyncClient, account: Account
):
    bearer = {"Authorization": f"Bearer {account.access_token}"}
    signed_in = await http.get("/graphql", params={"query": "{ viewer { id } }"}, headers=bearer)
    assert signed_in.headers["cache-control"] == "private, no-cache"
    assert "etag" in signed_in.headers
    post = await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers=bearer)
    assert post.headers["cache-control"] == "no-store"
    token = await http.post(
        "/graphql",
        json={
            "query": "mutation($i: TokenCreateInput!) { tokenCreate(input: $i) { accessToken } }",
            "variables": {"i": {"email": account.email, "password": account.password}},
        },
    )
    assert token.json()["data"]["tokenCreate"]["accessToken"]
    assert token.headers["cache-control"] == "no-store"
    failing = await http.get("/graphql", params={"query": "{ profile(id: 1) { nope } }"})
    assert failing.headers["cache-control"] == "no-store"


async def test_large_answers_are_gzipped_and_small_ones_are_not(http: httpx.AsyncClient):
    large = await http.get("/graphql", params={"query": LARGE})
    assert large.headers["content-encoding"] == "gzip"
    assert large.json()["data"]["__schema"]["types"]
    assert large.headers["etag"].endswith('-gzip"')
    revalidated = await http.get(
        "/graphql", params={"query": LARGE}, headers={"If-None-Match": large.headers["etag"]}
    )
    assert revalidated.status_code == 304
    identity = await http.get(
        "/graphql", params={"query": LARGE}, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in identity.headers
    assert identity.headers["etag"] != large.headers["etag"]
    small = await http.get("/graphql", params={"query": "{ __typename }"})
    assert "content-encoding" not in small.headers
    posted = await http.post("/graphql", json={"query": LARGE})
    assert posted.headers["content-encoding"] == "gzip"


async def test_variables_in_another_key_order_answer_the_same_etag(http: httpx.AsyncClient):
    order = {"field": "RIZZ_SCORE", "direction": "DESC"}
    one = json.dumps({"first": 3, "orderBy": order})
    other = json.dumps({"orderBy": {"direction": "DESC", "field": "RIZZ_SCORE"}, "first": 3})
    assert one != other
    first = await http.get("/graphql", params={"query": DISCOVERY, "variables": one})
    second = await http.get("/graphql", params={"query": DISCOVERY, "variables": other})
    assert "errors" not in first.json()
    assert first.headers["etag"] == second.headers["etag"]
    cached = await http.get(
        "/graphql",
        params={"query": DISCOVERY, "variables": other},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert cached.status_code == 304
