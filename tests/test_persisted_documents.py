"""Trusted documents and Apollo's automatic persisted queries (issue 9, item 1): a client may
name its document by hash — a ``documentId`` from the repo's registry, or Apollo's
``persistedQuery`` extension, which it registers by resending the text once."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from graphql import parse, print_ast, validate
from starlette.types import Message, Receive, Scope, Send

from schema import build_schema
from settings import Settings
from tests.conftest import Account, server_environment, uses_postgres
from tests.server_process import served
from tests.test_metrics import scrape, value
from web.persisted_documents import PersistedDocumentsMiddleware
from web.trusted_documents import (
    DOCUMENTS_DIR,
    TrustedRequest,
    document_id,
    load_documents,
    trusted_request,
)

ROOT = Path(__file__).resolve().parent.parent
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


def registry_id(name: str) -> str:
    return document_id((DOCUMENTS_DIR / f"{name}.graphql").read_text())


def fresh_query() -> str:
    """A document no earlier test (or run sharing Redis) has registered."""
    return f"query Fresh($id: ID!) {{ profile(id: $id) {{ id displayName }} }} # {uuid.uuid4()}"


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_apollo_link_flow_hash_first_then_text_then_hash_only(
    http: httpx.AsyncClient, account: Account
):
    query = fresh_query()
    variables = {"id": account.profile_id}
    first = await http.post(
        "/graphql", json={"variables": variables, "extensions": persisted(query)}
    )
    assert first.status_code == 200  # what PersistedQueryLink retries on
    assert first.json() == NOT_FOUND

    with_text = await http.post(
        "/graphql", json={"query": query, "variables": variables, "extensions": persisted(query)}
    )
    assert with_text.json()["data"] == {
        "profile": {"id": account.profile_id, "displayName": "Test User"}
    }

    hash_only = await http.post(
        "/graphql", json={"variables": variables, "extensions": persisted(query)}
    )
    assert hash_only.json()["data"] == with_text.json()["data"]

    over_get = await http.get(
        "/graphql",
        params={"variables": json.dumps(variables), "extensions": json.dumps(persisted(query))},
    )
    assert over_get.status_code == 200
    assert over_get.json()["data"] == with_text.json()["data"]


async def test_hash_only_get_for_an_unknown_hash_is_not_found_and_not_cached(
    http: httpx.AsyncClient,
):
    response = await http.get(
        "/graphql", params={"extensions": json.dumps(persisted(fresh_query()))}
    )
    assert response.status_code == 200
    assert response.json() == NOT_FOUND
    assert response.headers["cache-control"] == "no-store"


async def test_a_text_whose_hash_does_not_match_is_refused_and_not_registered(
    http: httpx.AsyncClient,
):
    query, other = fresh_query(), fresh_query()
    response = await http.post("/graphql", json={"query": other, "extensions": persisted(query)})
    assert response.status_code == 400
    assert code(response) == "PERSISTED_QUERY_HASH_MISMATCH"
    again = await http.post("/graphql", json={"extensions": persisted(query)})
    assert again.json() == NOT_FOUND


async def test_a_registration_over_the_document_size_limit_is_not_kept(
    http: httpx.AsyncClient, server
):
    padding = "#" + "x" * server.settings.max_document_chars + "\n"
    query = padding + "{ __typename }"
    response = await http.post("/graphql", json={"query": query, "extensions": persisted(query)})
    assert "data" not in response.json() or response.json()["data"] is None
    assert response.json()["errors"]
    again = await http.post("/graphql", json={"extensions": persisted(query)})
    assert again.json() == NOT_FOUND


async def test_a_persisted_query_of_another_version_is_refused(http: httpx.AsyncClient):
    response = await http.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "a" * 64}}},
    )
    assert response.status_code == 400
    assert code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_a_registry_document_runs_by_document_id_over_post_and_get(
    http: httpx.AsyncClient, account: Account
):
    variables = {"id": account.profile_id}
    by_post = await http.post(
        "/graphql", json={"documentId": registry_id("ProfileById"), "variables": variables}
    )
    assert by_post.status_code == 200
    profile = by_post.json()["data"]["profile"]
    assert profile["id"] == account.profile_id
    assert profile["stats"]["platformBreakdown"] == {
        "tiktok": None,
        "instagram": None,
        "youtube": None,
    }
    by_get = await http.get(
        "/graphql",
        params={"documentId": registry_id("ProfileById"), "variables": json.dumps(variables)},
    )
    assert by_get.status_code == 200
    assert by_get.json()["data"] == by_post.json()["data"]
    # Apollo's hash of the same text finds the same registry document without registering it.
    apollo = await http.post(
        "/graphql",
        json={
            "variables": variables,
            "extensions": persisted((DOCUMENTS_DIR / "ProfileById.graphql").read_text()),
        },
    )
    assert apollo.json()["data"] == by_post.json()["data"]


async def test_a_persisted_mutation_runs_over_post_but_never_over_get(
    http: httpx.AsyncClient, account: Account
):
    variables = {"input": {"email": account.email, "password": account.password}}
    by_post = await http.post(
        "/graphql", json={"documentId": registry_id("TokenCreate"), "variables": variables}
    )
    assert by_post.json()["data"]["tokenCreate"]["accessToken"]
    assert by_post.headers["cache-control"] == "no-store"
    by_get = await http.get(
        "/graphql",
        params={"documentId": registry_id("TokenCreate"), "variables": json.dumps(variables)},
    )
    assert by_get.status_code == 405
    assert "data" not in by_get.json()


def outcomes(before: dict, after: dict) -> dict[tuple[str, str], float]:
    """How many persisted-query outcomes of each (kind, result) were counted in between."""
    name = "creatorgraph_persisted_queries_total"
    kinds = {"document", "apq"}
    results = {"hit", "registered", "not_found", "mismatch", "refused"}
    return {
        (k, r): value(after, name, kind=k, result=r) - value(before, name, kind=k, result=r)
        for k in kinds
        for r in results
        if value(after, name, kind=k, result=r) != value(before, name, kind=k, result=r)
    }


async def test_metrics_count_each_persisted_query_outcome(
    http: httpx.AsyncClient, account: Account, server
):
    query = fresh_query()
    variables = {"id": account.profile_id}
    before = await scrape(http)
    await http.post("/graphql", json={"variables": variables, "extensions": persisted(query)})
    await http.post(
        "/graphql", json={"query": query, "variables": variables, "extensions": persisted(query)}
    )
    await http.get(
        "/graphql",
        params={"variables": json.dumps(variables), "extensions": json.dumps(persisted(query))},
    )
    await http.post("/graphql", json={"query": fresh_query(), "extensions": persisted(query)})
    await http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 2}}})
    oversized = "#" + "x" * server.settings.max_document_chars + "\n{ __typename }"
    await http.post("/graphql", json={"query": oversized, "extensions": persisted(oversized)})
    await http.post(
        "/graphql", json={"documentId": registry_id("ProfileById"), "variables": variables}
    )
    await http.post("/graphql", json={"documentId": "sha256:" + "0" * 64})
    await http.post("/graphql", json={"query": "{ __typename }"})  # not a persisted query
    assert outcomes(before, await scrape(http)) == {
        ("apq", "not_found"): 1,
        ("apq", "registered"): 1,
        ("apq", "hit"): 1,
        ("apq", "mismatch"): 1,
        ("apq", "refused"): 2,
        ("document", "hit"): 1,
        ("document", "not_found"): 1,
    }


async def test_an_unknown_document_id_is_a_coded_error(http: httpx.AsyncClient):
    for response in (
        await http.post("/graphql", json={"documentId": "sha256:" + "0" * 64}),
        await http.get("/graphql", params={"documentId": "sha256:" + "0" * 64}),
        await http.post("/graphql", json={"documentId": 12}),
    ):
        assert response.status_code == 200
        assert code(response) == "PERSISTED_DOCUMENT_NOT_FOUND"


def test_every_trusted_document_is_one_valid_operation():
    graphql_schema = build_schema(Settings.from_env(server_environment()))._schema
    documents = load_documents()
    assert len(documents) >= 8
    for text in documents.values():
        document = parse(text)
        assert len(document.definitions) == 1, text
        assert validate(graphql_schema, document) == [], text


def test_app_documents_prints_the_manifest():
    result = subprocess.run(
        [sys.executable, "app.py", "documents"],
        cwd=ROOT,
        env=server_environment(),
        capture_output=True,
        check=True,
    )
    manifest = json.loads(result.stdout)
    assert manifest == load_documents()
    for identifier, text in manifest.items():
        assert identifier == "sha256:" + sha256(text)
    names = {path.stem for path in DOCUMENTS_DIR.glob("*.graphql")}
    assert {"ProfileById", "ViewerProfile", "DiscoveryPage", "SocialSync"} <= names
    assert (DOCUMENTS_DIR / "ProfileById.graphql").read_text() in manifest.values()


@pytest.fixture
async def trusted_only() -> AsyncIterator[httpx.AsyncClient]:
    """A second server, in production's mode: only the repo's documents run."""
    env = server_environment(TRUSTED_DOCUMENTS_ONLY="true")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'trusted.sqlite3'}"
    async with (
        served(env) as process,
        httpx.AsyncClient(base_url=process.url, timeout=30) as client,
    ):
        yield client


async def test_trusted_documents_only_refuses_ad_hoc_text(trusted_only: httpx.AsyncClient):
    query = fresh_query()
    for response in (
        await trusted_only.post("/graphql", json={"query": "{ __typename }"}),
        await trusted_only.get("/graphql", params={"query": "{ __typename }"}),
        await trusted_only.post("/graphql", json={"query": query, "extensions": persisted(query)}),
    ):
        assert response.status_code == 400
        assert code(response) == "PERSISTED_DOCUMENT_REQUIRED"
        assert "data" not in response.json()
    assert (
        await trusted_only.post("/graphql", json={"extensions": persisted(query)})
    ).json() == NOT_FOUND
    assert outcomes({}, await scrape(trusted_only)) == {
        ("document", "refused"): 2,
        ("apq", "refused"): 1,
        ("apq", "not_found"): 1,
    }


async def test_trusted_documents_only_runs_registry_documents(trusted_only: httpx.AsyncClient):
    variables = {"first": 1}
    by_id = await trusted_only.post(
        "/graphql", json={"documentId": registry_id("DiscoveryPage"), "variables": variables}
    )
    assert "errors" not in by_id.json()
    assert "profiles" in by_id.json()["data"]
    text = (DOCUMENTS_DIR / "DiscoveryPage.graphql").read_text()
    as_text = await trusted_only.post("/graphql", json={"query": text, "variables": variables})
    assert (
        as_text.json()["data"] == by_id.json()["data"]
    )  # the exact text of a trusted document is trusted
    by_hash = await trusted_only.post(
        "/graphql", json={"variables": variables, "extensions": persisted(text)}
    )
    assert by_hash.json()["data"] == by_id.json()["data"]


async def _trusted_request_seen(
    method: str, *, body: bytes = b"", query_string: str = ""
) -> TrustedRequest | None:
    """Runs the persisted-documents layer alone in front of an app that records what the
    layers after it would find in the scope's state."""
    seen: list[TrustedRequest | None] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(trusted_request(scope))

    layer = PersistedDocumentsMiddleware(
        inner,
        documents=load_documents(),
        trusted_only=False,
        max_document_chars=10_000,
        apq_cache_bytes=1 << 16,
        apq_ttl_seconds=60,
    )
    headers = [(b"content-type", b"application/json")] if method == "POST" else []
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/graphql",
        "query_string": query_string.encode(),
        "headers": headers,
    }
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        raise AssertionError(f"the layer answered by itself: {message}")

    await layer(scope, receive, send)
    return seen[0]


async def test_a_trusted_document_is_recorded_for_the_layers_after_however_it_is_named():
    text = (DOCUMENTS_DIR / "ProfileById.graphql").read_text()
    doc_id = registry_id("ProfileById")
    variables = {"id": "7"}
    by_id = await _trusted_request_seen(
        "POST", body=json.dumps({"documentId": doc_id, "variables": variables}).encode()
    )
    by_text = await _trusted_request_seen(
        "POST", body=json.dumps({"query": text, "variables": variables}).encode()
    )
    by_hash = await _trusted_request_seen(
        "GET",
        query_string=urlencode(
            {"extensions": json.dumps(persisted(text)), "variables": json.dumps(variables)}
        ),
    )
    # Apollo's link hashes the printed document (graphql-js print, which print_ast matches).
    printed = print_ast(parse(text))
    assert printed != text
    by_printed_hash = await _trusted_request_seen(
        "POST", body=json.dumps({"variables": variables, "extensions": persisted(printed)}).encode()
    )
    for seen in (by_id, by_text, by_hash, by_printed_hash):
        assert seen is not None
        assert (seen.document_id, seen.text, seen.variables) == (doc_id, text, variables)
    assert by_hash is not None and by_hash.method == "GET"


async def test_other_requests_record_no_trusted_document():
    ad_hoc = json.dumps({"query": "{ __typename }"}).encode()
    text = (DOCUMENTS_DIR / "ProfileById.graphql").read_text()
    bad_variables = json.dumps({"query": text, "variables": ["not", "an", "object"]}).encode()
    assert await _trusted_request_seen("POST", body=ad_hoc) is None
    assert await _trusted_request_seen("POST", body=bad_variables) is None
    assert await _trusted_request_seen("GET", query_string="") is None
