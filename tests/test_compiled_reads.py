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
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from adapters.tokens import TokenIssuer
from models import Platform, Profile, SocialAccount, User
from tests.conftest import (
    Account,
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
)
from tests.fakes import FakeProviders
from tests.server_process import served
from web.compiled_plans import PLANS, trusted_id
from web.trusted_documents import DOCUMENTS_DIR

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

    def __init__(self, compiled: httpx.AsyncClient, strawberry: httpx.AsyncClient) -> None:
        self.compiled = compiled
        self.strawberry = strawberry

    async def same(
        self,
        body: dict[str, Any],
        authorization: str | None = None,
        *,
        method: str = "POST",
    ) -> dict[str, Any]:
        headers = {"Authorization": authorization} if authorization is not None else {}
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
        yield Pair(compiled, strawberry)


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
    bare = await creator(
        gql, bio=None, avatar_url=None, niches=[], city="", state=None, country=""
    )
    floats = []
    for value in FLOATS:
        account = await creator(gql, avg_engagement=value if value is not None else 0.0)
        await with_platforms(account, {Platform.INSTAGRAM: (10, value)})
        floats.append(account)
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
    await User.filter(id=pk_of(deleted_viewer.user_id)).update(
        deleted_at=SYNCED_AT
    )
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
    profiles = [everything, bare, *floats, private, inactive, suspended_owner]
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
