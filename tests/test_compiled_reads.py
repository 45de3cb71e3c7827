"""The compiled read path (issue 9, item 3) answers exactly what Strawberry answers.

Every compiled document is sent, over generated data, to the session server (COMPILED_READS on)
and to a second server on the same database with COMPILED_READS=off, and the two answers must
be the same JSON: data, errors and extensions. The one part that may differ is
``extensions.cost.throttleStatus.currentlyAvailable``: each server keeps its own budget in
process (without Redis), so what is left differs; both must carry it, as an integer. The
metric proves the compiled path was taken where it should be, and not where it must not.
"""

from __future__ import annotations

import base64
import random
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send
from tortoise import connections

from adapters.metrics import Metrics
from adapters.tokens import TokenIssuer
from models import Notification, NotificationType, Platform, Profile, SocialAccount, User
from resolvers.compiled import (
    Dialect,
    dialect,
    fetch_row,
    json_array_agg,
    json_datetime,
    json_float,
    json_global_id,
    json_int,
    json_string,
    param,
)
from schema import build_schema
from tests.conftest import (
    Account,
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
)
from tests.fakes import FakeProviders
from tests.server_process import served
from web.compiled_plans import PLANS, CompiledRequest, trusted_id
from web.compiled_reads import CompiledReadsMiddleware
from web.trusted_documents import DOCUMENTS_DIR, STATE_KEY, TrustedRequest

PROFILE_BY_ID = (DOCUMENTS_DIR / "ProfileById.graphql").read_text()
SYNCED_AT = datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)
FLOATS = (0.1 + 0.2, 3.0, 1e-05, 123456789.12345679, 1 / 3, 0.0, 99.99, None)


@pytest.fixture(scope="module")
async def strawberry_url(
    server: RunningServer, fake_providers: FakeProviders
) -> AsyncIterator[str]:
    """A server on the session server's database with the compiled path off."""
    env = server_environment(**fake_providers.environment())
    env["DATABASE_URL"] = server.settings.database_url
    env["COMPILED_READS"] = "off"
    env["RESPONSE_CACHE"] = "off"  # the reference: every answer executed by Strawberry
    async with served(env) as process:
        yield process.url


def global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def pk_of(global_id_: str) -> int:
    return int(base64.urlsafe_b64decode(global_id_ + "=" * (-len(global_id_) % 4)).split(b":")[1])


def without_available(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with ``currentlyAvailable`` taken out (checked to be an integer)."""
    copy = orjson.loads(orjson.dumps(answer))
    throttle = copy.get("extensions", {}).get("cost", {}).get("throttleStatus")
    if throttle is not None:
        assert isinstance(throttle.pop("currentlyAvailable"), int)
    return copy


class Pair:
    """Sends each request to both servers and compares the answers."""

    def __init__(
        self, compiled: httpx.AsyncClient, strawberry: httpx.AsyncClient, cache: Any
    ) -> None:
        self.compiled = compiled
        self.strawberry = strawberry
        self.cache = cache  # the session server's response cache, in front of the compiled path

    async def same(
        self,
        body: dict[str, Any],
        authorization: str | None = None,
        *,
        method: str = "POST",
    ) -> dict[str, Any]:
        headers = {"Authorization": authorization} if authorization is not None else {}
        if self.cache is not None:
            self.cache.store.clear()  # so the compiled path answers, not an earlier answer
        answers = []
        for http in (self.compiled, self.strawberry):
            if method == "GET":
                params = {
                    k: v if isinstance(v, str) else orjson.dumps(v).decode()
                    for k, v in body.items()
                }
                response = await http.get("/graphql", params=params, headers=headers)
            else:
                response = await http.post("/graphql", json=body, headers=headers)
            answers.append(
                (response.status_code, response.headers["content-type"], response.json())
            )
        (status, kind, compiled), (s_status, s_kind, strawberry) = answers
        assert (status, kind) == (s_status, s_kind)
        assert without_available(compiled) == without_available(strawberry), (compiled, strawberry)
        return compiled


@pytest.fixture
async def pair(server: RunningServer, strawberry_url: str) -> AsyncIterator[Pair]:
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as compiled,
        httpx.AsyncClient(base_url=strawberry_url, timeout=30) as strawberry,
    ):
        yield Pair(compiled, strawberry, server.app.state.response_cache)


async def served_count(http: httpx.AsyncClient, document: str, result: str) -> float:
    text = (await http.get("/metrics")).text
    found = re.search(
        rf'^creatorgraph_compiled_reads_total\{{document="{document}",result="{result}"\}} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


async def creator(gql: GraphQLClient, **profile: Any) -> Account:
    """A registered creator whose profile has ``profile``'s columns."""
    account = await register(gql, display_name=profile.pop("display_name", "Creator"))
    if profile:
        await Profile.filter(id=pk_of(account.profile_id)).update(**profile)
    return account


async def with_platforms(
    account: Account, numbers: dict[Platform, tuple[int, float | None]]
) -> None:
    pk = pk_of(account.profile_id)
    for platform, (followers, engagement) in numbers.items():
        await SocialAccount.create(
            profile_id=pk,
            platform=platform,
            handle=f"h{uuid.uuid4().hex[:8]}",
            followers=followers,
            engagement=engagement,
            synced_at=SYNCED_AT,
        )


def bearer(account: Account) -> str:
    return f"Bearer {account.access_token}"


async def test_profile_by_id_is_the_same_as_strawberry_over_generated_data(
    pair: Pair, gql: GraphQLClient, server: RunningServer
):
    everything = await creator(
        gql,
        display_name='Zoë 🚀 "quoted" \\ back',
        bio="Line one\nline two\ttab \u2028 sep </script> ünïcödé",
        avatar_url="https://cdn.example.com/a.png?x=1&y=2",
        niches=["fitness", "café culture", "日本"],
        city="São Paulo",
        state="",
        country="BR",
        total_followers=9_007_199_254_740_991,
        avg_engagement=0.1 + 0.2,
        rizz_score=87,
    )
    await with_platforms(
        everything,
        {
            Platform.TIKTOK: (1_234_567, 1 / 3),
            Platform.YOUTUBE: (0, None),
            Platform.TWITCH: (5, 2.5),
        },
    )
    bare = await creator(gql, bio=None, avatar_url=None, niches=[], city="", state=None, country="")
    floats = []
    for value in FLOATS:
        account = await creator(gql, avg_engagement=value if value is not None else 0.0)
        await with_platforms(account, {Platform.INSTAGRAM: (10, value)})
        floats.append(account)
    null_niches = await creator(gql)  # JSON null where a list belongs: rendered as []
    await connections.get("default").execute_query(
        f"UPDATE profiles SET niches = 'null' WHERE id = {pk_of(null_niches.profile_id)}"
    )
    private = await creator(gql, is_public=False)
    inactive = await creator(gql, is_active=False)
    suspended_owner = await creator(gql)
    await User.filter(id=pk_of(suspended_owner.user_id)).update(suspended=True)
    other = await register(gql, role="BRAND")
    admin = await register(gql)
    await User.filter(id=pk_of(admin.user_id)).update(role="ADMIN")
    suspended_viewer = await register(gql)
    await User.filter(id=pk_of(suspended_viewer.user_id)).update(suspended=True)
    deleted_viewer = await register(gql)
    await User.filter(id=pk_of(deleted_viewer.user_id)).update(deleted_at=SYNCED_AT)
    settings = server.settings
    expired = TokenIssuer(
        settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience, -60, 60
    ).issue_access(pk_of(other.user_id))

    viewers: list[str | None] = [
        None,
        "",
        bearer(other),
        bearer(admin),
        f"Bearer {expired}",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        bearer(suspended_viewer),
        bearer(deleted_viewer),
    ]
    profiles = [everything, bare, null_niches, *floats, private, inactive, suspended_owner]
    ids = [p.profile_id for p in profiles] + [
        global_id("Profile", 9_000_000_000),
        global_id("User", pk_of(other.user_id)),
        "not base64 !",
        "",
        everything.profile_id.rstrip("="),  # the same profile, unpadded
    ]
    served_before = await served_count(pair.compiled, "ProfileById", "served")
    fallback_before = await served_count(pair.compiled, "ProfileById", "fallback")
    answers = 0
    for viewer in viewers:
        for id_ in ids:
            await pair.same({"query": PROFILE_BY_ID, "variables": {"id": id_}}, viewer)
            answers += 1
    # Owners read their own profiles, whatever their visibility.
    for owner in (everything, private, inactive):
        answer = await pair.same(
            {"query": PROFILE_BY_ID, "variables": {"id": owner.profile_id}}, bearer(owner)
        )
        assert answer["data"]["profile"]["id"] == owner.profile_id
    seen = await pair.same({"query": PROFILE_BY_ID, "variables": {"id": everything.profile_id}})
    breakdown = seen["data"]["profile"]["stats"]["platformBreakdown"]
    assert breakdown["instagram"] is None and breakdown["youtube"]["engagement"] is None
    hidden = await pair.same(
        {"query": PROFILE_BY_ID, "variables": {"id": private.profile_id}}, bearer(other)
    )
    assert hidden["data"] == {"profile": None}

    served = await served_count(pair.compiled, "ProfileById", "served") - served_before
    fallback = await served_count(pair.compiled, "ProfileById", "fallback") - fallback_before
    # Compiled: the four viewers Strawberry accepts (anonymous, an empty header, another user,
    # an admin) over the well-formed ids (every profile, the unknown one, the unpadded one),
    # and the owners' and the last two reads.
    well_formed = len(profiles) + 2
    assert served == 4 * well_formed + 3 + 2
    # Left to Strawberry: the three malformed ids for those four, and every request of the five
    # refused tokens and headers (expired, garbage, not bearer, suspended, deleted).
    assert fallback == 4 * 3 + 5 * len(ids)
    # With COMPILED_READS=off nothing is compiled, not even tried.
    for result in ("served", "fallback"):
        assert await served_count(pair.strawberry, "ProfileById", result) == 0


async def test_a_profile_read_compiled_counts_a_view_unless_the_owner_reads(
    pair: Pair, gql: GraphQLClient, server: RunningServer
):
    owner = await creator(gql)
    reader = await register(gql)
    pk = pk_of(owner.profile_id)
    views = server.services.profile_views
    before = views.pending[pk]
    body = {"query": PROFILE_BY_ID, "variables": {"id": owner.profile_id}}
    await pair.compiled.post("/graphql", json=body)
    await pair.compiled.post("/graphql", json=body, headers={"Authorization": bearer(reader)})
    await pair.compiled.post("/graphql", json=body, headers={"Authorization": bearer(owner)})
    assert views.pending[pk] - before == 2


async def test_profile_by_id_by_document_id_over_get_and_post(pair: Pair, gql: GraphQLClient):
    account = await creator(gql, niches=["gaming"])
    document = trusted_id("ProfileById")
    assert document in PLANS
    before = await served_count(pair.compiled, "ProfileById", "served")
    body = {"documentId": document, "variables": {"id": account.profile_id}}
    await pair.same(body)
    await pair.same(body, method="GET")
    await pair.same({**body, "operationName": "ProfileById"})
    assert await served_count(pair.compiled, "ProfileById", "served") - before == 3
    # Another operation name, or variables the document does not declare: Strawberry's answer.
    await pair.same({**body, "operationName": "Other"})
    await pair.same({**body, "variables": {"id": account.profile_id, "extra": 1}})
    await pair.same({**body, "variables": {"id": 12}})
    await pair.same({**body, "variables": {}})
    assert await served_count(pair.compiled, "ProfileById", "served") - before == 3


async def test_the_compiled_answer_is_compact_json(pair: Pair, gql: GraphQLClient):
    account = await creator(gql, niches=["a", "b"], city="X")
    await with_platforms(account, {Platform.TIKTOK: (3, 2.0)})
    response = await pair.compiled.post(
        "/graphql", json={"query": PROFILE_BY_ID, "variables": {"id": account.profile_id}}
    )
    assert response.headers["content-type"] == "application/json"
    profile = response.json()["data"]["profile"]
    assert response.content.startswith(b'{"data":{"profile":{"id":')
    assert orjson.dumps({"data": {"profile": profile}})[:-2] in response.content


VIEWER_PROFILE = (DOCUMENTS_DIR / "ViewerProfile.graphql").read_text()


async def test_viewer_profile_is_the_same_as_strawberry_over_generated_data(
    pair: Pair, gql: GraphQLClient, server: RunningServer
):
    everything = await creator(
        gql,
        display_name='Ünïcode 🚀 "name"',
        bio="bio\nwith </script>",
        niches=["travel", "日本"],
        state="Bavaria",
        avg_engagement=1 / 3,
        total_followers=123_456,
        rizz_score=55,
        is_public=False,
    )
    await with_platforms(
        everything,
        {
            Platform.TIKTOK: (10, 0.1 + 0.2),
            Platform.INSTAGRAM: (0, None),
            Platform.YOUTUBE: (7, 3.0),
            Platform.TWITCH: (1, 1e-05),
            Platform.TWITTER: (2, 99.99),
        },
    )
    await SocialAccount.filter(profile_id=pk_of(everything.profile_id), platform="YOUTUBE").update(
        synced_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # no microseconds: none written
    )
    await User.filter(id=pk_of(everything.user_id)).update(email_verified=True)
    for read in (False, False, True):
        await Notification.create(
            recipient_id=pk_of(everything.user_id),
            type=NotificationType.SYNC_COMPLETED,
            title="t",
            body="b",
            read_at=SYNCED_AT if read else None,
        )
    bare = await creator(gql, bio=None, niches=[], city="", is_active=False)
    brand = await register(gql, role="BRAND", display_name="Brand")
    admin = await register(gql)
    await User.filter(id=pk_of(admin.user_id)).update(role="ADMIN")
    suspended = await register(gql)
    await User.filter(id=pk_of(suspended.user_id)).update(suspended=True)
    deleted = await register(gql)
    await User.filter(id=pk_of(deleted.user_id)).update(deleted_at=SYNCED_AT)
    settings = server.settings
    expired = TokenIssuer(
        settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience, -60, 60
    ).issue_access(pk_of(brand.user_id))
    vanished = server.services.tokens.issue_access(9_000_000_000)

    served_before = await served_count(pair.compiled, "ViewerProfile", "served")
    fallback_before = await served_count(pair.compiled, "ViewerProfile", "fallback")
    body: dict[str, Any] = {"query": VIEWER_PROFILE}
    compiled = [None, "", bearer(everything), bearer(bare), bearer(brand), bearer(admin)]
    refused = [
        f"Bearer {expired}",
        f"Bearer {vanished}",
        "Bearer nope",
        "Token abc",
        bearer(suspended),
        bearer(deleted),
    ]
    for viewer in compiled + refused:
        await pair.same(body, viewer)
    mine = await pair.same(body, bearer(everything))
    profile = mine["data"]["viewer"]["profile"]
    assert mine["data"]["viewer"]["unreadNotificationCount"] == 2
    assert profile["isPublic"] is False
    assert profile["stats"]["platformBreakdown"]["youtube"]["syncedAt"] == (
        "2026-01-02T03:04:05+00:00"
    )
    assert (await pair.same(body))["data"] == {"viewer": None}
    await pair.same({"documentId": trusted_id("ViewerProfile")}, bearer(brand), method="GET")
    # Variables the document does not declare: Strawberry's answer.
    await pair.same({**body, "variables": {"x": 1}}, bearer(brand))

    served = await served_count(pair.compiled, "ViewerProfile", "served") - served_before
    fallback = await served_count(pair.compiled, "ViewerProfile", "fallback") - fallback_before
    assert served == len(compiled) + 3
    assert fallback == len(refused) + 1


async def test_the_compiled_path_spends_the_budget_and_leaves_refusals_to_strawberry(
    server: RunningServer, fake_providers: FakeProviders, gql: GraphQLClient
):
    """ProfileById costs 7 and ViewerProfile 10: with a budget of 20 a minute the third read is
    refused, and with MAX_QUERY_COST 8 ViewerProfile is too complex; both refusals are
    Strawberry's own answers (the compiled path charged the first two and fell back)."""
    account = await creator(gql)
    env = server_environment(
        **fake_providers.environment(),
        QUERY_COST_BUDGET="20/minute",
        MAX_QUERY_COST="8",
        RESPONSE_CACHE="off",  # repeated reads reach the compiled path (a hit spends nothing)
    )
    env["DATABASE_URL"] = server.settings.database_url
    client = {"X-Forwarded-For": f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"}
    body = {"query": PROFILE_BY_ID, "variables": {"id": account.profile_id}}
    async with served(env) as process, httpx.AsyncClient(base_url=process.url) as http:
        answers = [(await http.post("/graphql", json=body, headers=client)).json() for _ in "abc"]
        assert [a["data"]["profile"]["id"] for a in answers[:2]] == [account.profile_id] * 2
        costs = [a["extensions"]["cost"] for a in answers]
        assert costs[0]["throttleStatus"]["currentlyAvailable"] == 13
        assert costs[1]["throttleStatus"]["currentlyAvailable"] == 6
        assert answers[2]["data"] is None
        assert answers[2]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert costs[2]["actualQueryCost"] is None
        too_complex = (
            await http.post("/graphql", json={"query": VIEWER_PROFILE}, headers=client)
        ).json()
        assert too_complex["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert await served_count(http, "ProfileById", "served") == 2
        assert await served_count(http, "ProfileById", "fallback") == 1
        assert await served_count(http, "ViewerProfile", "fallback") == 1
        assert await served_count(http, "ViewerProfile", "served") == 0


async def test_the_sql_json_helpers_write_what_python_writes(server: RunningServer):
    """The helpers' output parses to the very values Python serialises (floats of every
    magnitude, timestamps with and without microseconds, global ids up to a BIGINT's)."""
    d = dialect()
    rng = random.Random(9)
    floats = [0.0, -0.0, 1.0, -2.5, 1e-05, 1e-300, 1e129, 1e16, 123456789.0, 0.1 + 0.2]
    floats += [rng.uniform(-1000, 1000) for _ in range(40)]
    floats += [rng.random() * 10 ** rng.randint(-300, 120) for _ in range(200)]
    floats += [round(rng.uniform(0, 100), 2) for _ in range(20)]
    typed = "CAST({} AS DOUBLE PRECISION)" if d is Dialect.POSTGRES else "{}"
    for value in floats:
        row = await fetch_row(f"SELECT {json_float(d, typed.format(param(d, 1)))}", [value])
        assert row is not None
        assert orjson.loads(row[0]) == value, (value, row[0])
    if d is Dialect.POSTGRES:  # PostgreSQL prints the shortest digits, as Python's repr does
        for value in [v for v in floats if 1e-4 <= abs(v) < 1e15 and not v.is_integer()]:
            row = await fetch_row(f"SELECT {json_float(d, typed.format(param(d, 1)))}", [value])
            assert row is not None and row[0] == repr(value)
    for pk in (1, 9, 10, 99, 12345, 2**31, 2**63 - 1):
        for type_name in ("Profile", "User", "Conversation"):
            pk_expr = f"CAST({param(d, 1)} AS BIGINT)"
            row = await fetch_row(f"SELECT {json_global_id(d, type_name, pk_expr)}", [pk])
            assert row is not None
            assert orjson.loads(row[0]) == global_id(type_name, pk)
    moments = [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for moment in moments:
        column = "CAST({} AS TIMESTAMPTZ)" if d is Dialect.POSTGRES else "{}"
        row = await fetch_row(f"SELECT {json_datetime(d, column.format(param(d, 1)))}", [moment])
        assert row is not None
        assert orjson.loads(row[0]) == moment.isoformat()
    texts = ["plain", 'quo"te', "back\\slash", "new\nline", "\u2028", "日本 🚀", "\x01", ""]
    for text in texts:
        row = await fetch_row(f"SELECT {json_string(d, param(d, 1))}", [text])
        assert row is not None
        assert orjson.loads(row[0]) == text
    elements = "SELECT 3 AS n UNION ALL SELECT 1 UNION ALL SELECT 2"
    aggregate = json_array_agg(d, json_int(d, "r.n"), "r.n")
    ordered = f"SELECT {aggregate} FROM ({elements} ORDER BY n) r"
    row = await fetch_row(ordered, [])
    assert row is not None and orjson.loads(row[0]) == [1, 2, 3]
    empty = f"SELECT {aggregate} FROM ({elements}) r WHERE 1 = 0"
    row = await fetch_row(empty, [])
    assert row is not None and row[0] == "[]"


async def test_a_plan_that_fails_leaves_the_request_to_strawberry(server: RunningServer):
    """A bug in a plan, or a database error under it, is logged and Strawberry answers."""
    text = PROFILE_BY_ID
    trusted = TrustedRequest(trusted_id("ProfileById"), text, None, {"id": "x"}, "POST")
    sent: list[Message] = []

    async def failing(request: CompiledRequest) -> bytes | None:
        raise RuntimeError("a bug")

    async def strawberry(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"strawberry"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    metrics = Metrics()
    middleware = CompiledReadsMiddleware(
        strawberry,
        enabled=True,
        schema=build_schema(server.settings)._schema,
        metrics=metrics,
        max_query_cost=1000,
        plans={trusted_id("ProfileById"): failing},
    )
    scope = {
        "type": "http",
        "path": "/graphql",
        "method": "POST",
        "headers": [],
        "state": {"services": server.services, STATE_KEY: trusted},
    }
    await middleware(scope, receive, send)
    assert sent[-1]["body"] == b"strawberry"
    labels = {"document": "ProfileById", "result": "fallback"}
    assert metrics.registry.get_sample_value("creatorgraph_compiled_reads_total", labels) == 1
