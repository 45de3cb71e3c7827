"""Bounded work before execution: document size, structure, cached bytes, mutation repeats."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse, specified_rules
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.schema import validate_document

from schema import build_schema
from schema.document_cache import DocumentCache, PreparedDocument
from schema.document_limits import count_selections
from schema.limit_rules import mutation_limit_rules
from schema.query_limits import QueryLimitSettings
from settings import Settings
from tests.conftest import PASSWORD, Account, GraphQLClient, server_environment, unique_email

SIGN_IN = "tokenCreate(input: {email: $email, password: $password}) { accessToken }"


def refusal(result: dict[str, Any], code: str) -> dict[str, Any]:
    assert result.get("data") is None, result
    error = result["errors"][0]
    assert error["extensions"]["code"] == code, error
    return error


def padded(n: int, size: int) -> str:
    """The issue's memory attack: a tiny query made distinct and large by a comment."""
    head = f"{{ __typename }} #{n}"
    return head + "x" * (size - len(head))


async def test_a_document_over_the_size_limit_is_refused_before_parsing(gql: GraphQLClient):
    error = refusal(await gql.post(padded(1, 255 * 1024)), "DOCUMENT_TOO_LARGE")
    assert error["extensions"]["maxChars"] == 32 * 1024


async def test_a_document_at_the_size_limit_runs(gql: GraphQLClient):
    result = await gql.post(padded(2, 32 * 1024))
    assert result["data"] == {"__typename": "Query"}


def capture_document_cache(monkeypatch: pytest.MonkeyPatch) -> list[DocumentCache]:
    built: list[DocumentCache] = []
    original = DocumentCache.__init__

    def remembering(self: DocumentCache, max_bytes: int) -> None:
        original(self, max_bytes)
        built.append(self)

    monkeypatch.setattr(DocumentCache, "__init__", remembering)
    return built


async def test_many_distinct_large_documents_leave_nothing_cached(
    monkeypatch: pytest.MonkeyPatch,
):
    """1,100 distinct 255 KB documents grew the process by 540 MB through the parser and
    validation caches; refused by size, none of them is parsed or kept."""
    caches = capture_document_cache(monkeypatch)
    schema = build_schema(Settings.from_env(server_environment()))
    (cache,) = caches
    for n in range(1100):
        result = await schema.execute(padded(n, 255 * 1024))
        assert result.errors and result.errors[0].extensions["code"] == "DOCUMENT_TOO_LARGE"
    assert len(cache) == 0 and cache.bytes == 0


async def test_the_document_cache_stays_within_its_byte_budget(monkeypatch: pytest.MonkeyPatch):
    caches = capture_document_cache(monkeypatch)
    schema = build_schema(Settings.from_env(server_environment(PARSE_CACHE_BYTES=str(1024 * 1024))))
    (cache,) = caches
    documents = [padded(n, 1000) for n in range(100)]  # each weighs 80 KB parsed
    for document in documents:
        assert (await schema.execute(document)).errors is None
    assert cache.bytes <= 1024 * 1024
    assert 0 < len(cache) < 100
    assert cache.get(documents[-1]) is not None and cache.get(documents[0]) is None


def test_the_cache_evicts_the_least_recently_used_first():
    cache = DocumentCache(max_bytes=3 * DocumentCache.weight("{ a }"))
    for text in ("{ a }", "{ b }", "{ c }"):
        cache.put(text, PreparedDocument(parse(text), 1))
    cache.get("{ a }")
    cache.put("{ d }", PreparedDocument(parse("{ d }"), 1))
    assert cache.get("{ b }") is None
    assert all(cache.get(t) is not None for t in ("{ a }", "{ c }", "{ d }"))


async def test_invalid_documents_are_not_cached(monkeypatch: pytest.MonkeyPatch):
    caches = capture_document_cache(monkeypatch)
    schema = build_schema(Settings.from_env(server_environment()))
    assert (await schema.execute("{ nope }")).errors
    assert len(caches[0]) == 0


async def test_the_17_kb_document_of_740_repeated_selections_is_refused(gql: GraphQLClient):
    """It spent 0.85 s of CPU in validation (under the 3,000-token limit) and stalled every
    other client; now it is counted in one pass and refused before validation."""
    document = "{ " + "".join("viewer { id }".ljust(23) for _ in range(740)) + "}"
    assert 16 * 1024 < len(document) < 18 * 1024
    error = refusal(await gql.post(document), "TOO_MANY_SELECTIONS")
    assert error["extensions"]["maxSelections"] == 250


async def test_eight_heavy_documents_do_not_stall_another_client(http: httpx.AsyncClient):
    """The issue's measure: eight 17 KB documents, each with its own operation name so no cache
    helps, stalled a `{ __typename }` probe sent beside them for 3.4 s (median)."""
    body = "".join("viewer { id }".ljust(23) for _ in range(740))
    heavy = [
        http.post("/graphql", json={"query": f"query Heavy{i} {{ {body} }}"}) for i in range(8)
    ]

    async def probe() -> float:
        started = time.perf_counter()
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        assert response.json()["data"] == {"__typename": "Query"}
        return time.perf_counter() - started

    *refused, waited = await asyncio.gather(*heavy, probe())
    assert waited < 1.0, f"the probe waited {waited:.2f} s"
    for response in refused:
        refusal(response.json(), "TOO_MANY_SELECTIONS")


async def test_fragments_cannot_multiply_selections_unseen(gql: GraphQLClient):
    document = (
        "{ ...A } fragment A on Query { ...B ...B ...B ...B ...B ...B ...B ...B }"
        " fragment B on Query { ...C ...C ...C ...C ...C ...C ...C ...C }"
        " fragment C on Query { viewer { id } __typename }"
    )
    refusal(await gql.post(document), "TOO_MANY_SELECTIONS")


DEEP = "viewer { profile { stats { platformBreakdown { tiktok { history { edges { node {"
DEEP += " followers } } } } } } } }"
WIDE_FIELDS = (
    "profile { id displayName bio stats { totalFollowers avgEngagement"
    " platformBreakdown { tiktok { followers engagement } youtube { followers } } } }"
)

# The shapes that make validation work hardest per character: the same response key repeated
# (compared pairwise), shallow or deep, directly, in inline fragments or through fragments;
# and a wide document of distinct fields. Each is grown to the largest that passes the limits.
WORST_SHAPES = {
    "repeated scalar": lambda n: "{ " + "__typename " * n + "}",
    "repeated object": lambda n: "{ " + "viewer { id } " * n + "}",
    "repeated deep object": lambda n: "{ " + (DEEP + " ") * n + "}",
    "repeated inline fragment": lambda n: "{ " + "... on Query { viewer { id } } " * n + "}",
    "repeated spread": lambda n: f"fragment F on Query {{ {DEEP} }} {{ " + "...F " * n + "}",
    "wide aliases": lambda n: (
        "{ " + " ".join(f"a{i}: viewer {{ {WIDE_FIELDS} }}" for i in range(min(n, 30))) + " }"
    ),
    # Introspection may weigh MAX_INTROSPECTION_SELECTIONS (GraphiQL's query weighs ~500).
    # Fragments selecting the same keys: the overlap checks validation makes grow with each.
    "repeated introspection": lambda n: (
        "{ __schema { types { "
        + " ".join(f"...F{i}" for i in range(n))
        + " } } } "
        + " ".join(f"fragment F{i} on __Type {{ name fields {{ name }} }}" for i in range(n))
    ),
    "fragments sharing keys": lambda n: (
        "{ profiles { edges { node { "
        + " ".join(f"...P{i}" for i in range(n))
        + " } } } } "
        + " ".join(
            f"fragment P{i} on Profile {{ displayName stats {{ totalFollowers }} }}"
            for i in range(n)
        )
    ),
    "long argument list": lambda n: (
        "{ profiles(filter: {niches: [" + ", ".join(f'"n{i}"' for i in range(n)) + "]})"
        " { edges { cursor } } }"
    ),
}


def largest_passing(shape: Any, settings: Settings) -> str:
    n = 1
    while n < 5000:
        text = shape(n + 1)
        try:
            document = parse(text, max_tokens=settings.max_tokens)
        except Exception:  # over the token limit
            break
        if count_selections(document) > QueryLimitSettings.from_settings(
            settings
        ).allowed_selections(document):
            break
        if len(text) > settings.max_document_chars or text == shape(n):
            break
        n += 1
    return shape(n)


@pytest.mark.parametrize("shape", WORST_SHAPES)
def test_no_document_within_the_limits_holds_the_loop_for_long(shape: str):
    """Parsing, counting and validating the worst document of each shape that passes every
    limit takes well under 20 ms of CPU (typically 1-10 ms on a laptop core; the 17 KB
    document took 850 ms before the limit). CPU time (process_time), the best of five runs,
    so a busy machine does not fail the test; 20 ms leaves room for a slow CI core while still
    catching a limit set ten times too high. Not a timing of whole requests."""
    settings = Settings.from_env(server_environment())
    schema = build_schema(settings)._schema
    rules = (
        *specified_rules,
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        *mutation_limit_rules(settings.max_repeated_mutations),
    )
    text = largest_passing(WORST_SHAPES[shape], settings)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        document = parse(text, max_tokens=settings.max_tokens)
        count_selections(document)
        errors = validate_document(schema, document, rules)
        best = min(best, time.process_time() - started)
    assert not errors, errors
    assert best < 0.020, f"{shape}: {best * 1000:.1f} ms"


def signing_in(count: int) -> str:
    fields = " ".join(f"a{i}: {SIGN_IN}" for i in range(count))
    return f"mutation SignIn($email: String!, $password: String!) {{ {fields} }}"


async def test_ten_aliased_sign_ins_are_refused(gql: GraphQLClient, account: Account):
    """Ten aliased tokenCreate for someone else's email locked them out for a minute."""
    variables = {"email": account.email, "password": "guess"}
    refusal(await gql.post(signing_in(10), variables), "TOO_MANY_PASSWORD_MUTATIONS")


async def test_one_sign_in_per_request_still_works(gql: GraphQLClient, account: Account):
    variables = {"email": account.email, "password": PASSWORD}
    data = await gql.data(signing_in(1), variables)
    assert data["a0"]["accessToken"]


async def test_thirty_aliased_registrations_are_refused_and_none_is_made(gql: GraphQLClient):
    """Thirty aliased accountRegister burned 6 s of argon2 CPU in one request."""
    emails = [unique_email("burst") for _ in range(30)]
    fields = " ".join(
        f'r{i}: accountRegister(input: {{email: "{email}", password: "{PASSWORD}",'
        f' role: CREATOR, displayName: "Burst"}}) {{ accessToken }}'
        for i, email in enumerate(emails)
    )
    refusal(await gql.post(f"mutation {{ {fields} }}"), "TOO_MANY_PASSWORD_MUTATIONS")
    never_made = await gql.data(signing_in(1), {"email": emails[0], "password": PASSWORD})
    assert never_made["a0"]["accessToken"] is None


async def test_registering_and_signing_in_at_once_is_refused(gql: GraphQLClient):
    document = (
        'mutation { accountRegister(input: {email: "x@example.com", password: "long enough",'
        ' role: CREATOR, displayName: "X"}) { accessToken }'
        ' tokenCreate(input: {email: "x@example.com", password: "long enough"})'
        " { accessToken } }"
    )
    refusal(await gql.post(document), "TOO_MANY_PASSWORD_MUTATIONS")


def syncing(count: int) -> str:
    fields = " ".join(
        f"s{i}: socialSync(input: {{platform: TIKTOK, followers: {i}}}) {{ userErrors {{ code }} }}"
        for i in range(count)
    )
    return f"mutation {{ {fields} }}"


async def test_sixteen_aliased_syncs_are_refused(gql: GraphQLClient, account: Account):
    """They passed the alias limit (30)."""
    error = refusal(
        await gql.post(syncing(16), token=account.access_token), "TOO_MANY_REPEATED_MUTATIONS"
    )
    assert error["extensions"] == {
        "code": "TOO_MANY_REPEATED_MUTATIONS",
        "field": "socialSync",
        "max": 5,
    }


async def test_five_aliased_syncs_pass_the_limit(gql: GraphQLClient, account: Account):
    result = await gql.post(syncing(5), token=account.access_token)
    assert "errors" not in result, result


async def test_graphiqls_introspection_query_runs_while_introspection_is_on(gql: GraphQLClient):
    """GraphiQL and codegen load the schema with one introspection query weighing ~500, twice
    MAX_SELECTIONS: pure introspection may weigh MAX_INTROSPECTION_SELECTIONS instead."""
    query = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True
    )
    assert count_selections(parse(query)) > Settings.from_env(server_environment()).max_selections

    result = await gql.post(query)

    assert "errors" not in result, result.get("errors")
    assert result["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_the_introspection_allowance_does_not_cover_ordinary_fields(gql: GraphQLClient):
    heavy = " ".join(f"p{i}: profiles {{ edges {{ cursor }} }}" for i in range(90))
    result = await gql.post("{ __schema { queryType { name } } " + heavy + " }")
    assert result["errors"][0]["extensions"]["code"] == "TOO_MANY_SELECTIONS"


def test_fragments_selecting_the_same_keys_weigh_what_validation_compares():
    """Validation compares every field with the earlier ones of the same response key, across
    spread fragments too: 100 fragments each selecting ``displayName`` cost what 100 aliases of
    it would, not 100 small fragments."""
    spreads = " ".join(f"...P{i}" for i in range(100))
    bodies = " ".join(f"fragment P{i} on Profile {{ displayName }}" for i in range(100))
    document = parse(f"{{ profiles {{ edges {{ node {{ {spreads} }} }} }} }} {bodies}")
    assert count_selections(document) > 100 * 99 / 2
