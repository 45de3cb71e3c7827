"""Every write of what a profile shows announces it: exactly one typed stats event, published
after commit, naming the profile, the accounts changed or removed, and the collections the change
can reorder — for sync, batch sync, provider connect and refresh, a provider's verdict on an
account, disconnect and profile edits. A source scan keeps any other writer from bypassing it."""

from __future__ import annotations

import ast
import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from adapters.broker import Broker
from models import Platform, SocialAccount
from resolvers.cache_tags import TOPIC as CACHE_TOPIC
from resolvers.cache_tags import decode_announcement
from resolvers.stats_events import StatsEvent, decode_stats_event, profile_topic
from schema.node import decode_id
from tests.conftest import Account, GraphQLClient, RunningServer
from tests.fakes import FakeProviders
from tests.fakes import rapidapi as rapid_fake

ROOT = Path(__file__).resolve().parent.parent

SYNC = """
mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) { userErrors { code } }
}"""

BATCH = """
mutation Batch($input: SocialSyncBatchInput!) {
  socialSyncBatch(input: $input) { count userErrors { code } }
}"""

CONNECT = """
mutation Connect($input: SocialAccountConnectInput!) {
  socialAccountConnect(input: $input) { account { state } userErrors { code } }
}"""

REFRESH = """
mutation Refresh($input: SocialAccountRefreshInput!) {
  socialAccountRefresh(input: $input) { account { state } userErrors { code } }
}"""

DISCONNECT = """
mutation Disconnect($input: SocialAccountDisconnectInput!) {
  socialAccountDisconnect(input: $input) { userErrors { code } }
}"""

UPDATE = """
mutation Update($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) { profile { rizzScore } userErrors { code } }
}"""

SHOWN = "query { viewer { profile { rizzScore stats { totalFollowers avgEngagement } } } }"
ACCOUNTS = "{ socialAccounts { platform state followers } }"


@dataclass(frozen=True, slots=True)
class Published:
    topic: str
    message: bytes
    inside_transaction: bool


@dataclass
class WitnessBroker:
    """The server's broker, recording each publish and whether the publisher still had a
    database transaction open then (an event sent before commit lets a subscriber read the
    old numbers)."""

    inner: Broker
    published: list[Published] = field(default_factory=list)
    # The response cache's announcements (resolvers/cache_tags.py), kept apart: every write
    # makes one, registrations included; ``only_event`` checks the stats tail's.
    announced: list[Published] = field(default_factory=list)
    order: list[Published] = field(default_factory=list)

    async def publish(self, topic: str, message: bytes) -> None:
        open_transaction = isinstance(connections.get("default"), TransactionalDBClient)
        record = Published(topic, message, open_transaction)
        (self.announced if topic == CACHE_TOPIC else self.published).append(record)
        self.order.append(record)
        await self.inner.publish(topic, message)

    def subscribe(self, topic: str):
        return self.inner.subscribe(topic)

    async def close(self) -> None:
        await self.inner.close()

    def only_event(self, profile_id: int) -> StatsEvent:
        """The one thing published, which must be a stats event on the profile's topic, sent
        with no transaction open."""
        published = self.published
        assert [p.topic for p in published] == [profile_topic(profile_id)]
        assert not published[0].inside_transaction
        event = decode_stats_event(published[0].message)
        assert event.profile_id == profile_id
        # The response cache heard the same tags once, after commit, before the event (a
        # registration in the test announces its own).
        heard = [
            a for a in self.announced if decode_announcement(a.message)[0] == sorted(event.tags)
        ]
        assert len(heard) == 1 and not heard[0].inside_transaction
        assert self.order.index(heard[0]) < self.order.index(published[0])
        self.clear()
        return event

    def clear(self) -> None:
        self.published.clear()
        self.announced.clear()
        self.order.clear()


@pytest.fixture
def broker(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> WitnessBroker:
    witness = WitnessBroker(server.services.broker)
    monkeypatch.setattr(server.services, "broker", witness)
    return witness


def pk(account: Account) -> int:
    return decode_id(account.profile_id, "Profile")[1]


def handle(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def account_id(profile_id: int, platform: str) -> int:
    return (await SocialAccount.get(profile_id=profile_id, platform=Platform(platform))).id


async def shown(gql: GraphQLClient, account: Account) -> dict:
    profile = (await gql.data(SHOWN, token=account.access_token))["viewer"]["profile"]
    return {"rizzScore": profile["rizzScore"], **profile["stats"]}


def as_shown(event: StatsEvent) -> dict:
    return {
        "rizzScore": event.rizz_score,
        "totalFollowers": event.total_followers,
        "avgEngagement": event.avg_engagement,
    }


async def sync(gql: GraphQLClient, account: Account, platform: str, followers: int) -> None:
    variables = {"input": {"platform": platform, "followers": followers}}
    result = await gql.data(SYNC, variables, account.access_token)
    assert result["socialSync"]["userErrors"] == []


async def mutate(gql: GraphQLClient, account: Account, query: str, variables: dict) -> dict:
    data = await gql.data(query, {"input": variables}, account.access_token)
    return next(iter(data.values()))


async def test_a_manual_sync_announces_once_after_commit_naming_the_new_account(
    gql: GraphQLClient, broker: WitnessBroker, account: Account
):
    profile = pk(account)
    await sync(gql, account, "TIKTOK", 1500)
    event = broker.only_event(profile)
    tiktok = await account_id(profile, "TIKTOK")
    assert event.tags == (
        f"Profile:{profile}",
        f"SocialAccount:{tiktok}",
        f"SocialAccounts:{profile}",
        "Discovery",
    )
    assert event.total_followers == 1500
    assert await shown(gql, account) == as_shown(event)


async def test_a_new_sync_of_a_known_platform_leaves_the_account_list_alone(
    gql: GraphQLClient, broker: WitnessBroker, account: Account
):
    profile = pk(account)
    await sync(gql, account, "TWITCH", 10)
    broker.only_event(profile)
    await sync(gql, account, "TWITCH", 20)
    event = broker.only_event(profile)
    twitch = await account_id(profile, "TWITCH")
    assert event.tags == (f"Profile:{profile}", f"SocialAccount:{twitch}", "Discovery")
    assert (await shown(gql, account))["totalFollowers"] == event.total_followers == 20


async def test_a_batch_sync_announces_once_for_all_its_accounts(
    gql: GraphQLClient, broker: WitnessBroker, account: Account
):
    profile = pk(account)
    items = [
        {"platform": "TIKTOK", "followers": 100, "engagement": 4.0},
        {"platform": "YOUTUBE", "followers": 200, "engagement": 2.0},
        {"platform": "TWITCH", "followers": -1},
    ]
    payload = await mutate(
        gql, account, BATCH, {"items": items, "errorPolicy": "REJECT_FAILED_ROWS"}
    )
    assert payload["count"] == 2
    event = broker.only_event(profile)
    ids = sorted([await account_id(profile, "TIKTOK"), await account_id(profile, "YOUTUBE")])
    assert [t for t in event.tags if t.startswith("SocialAccount:")] == [
        f"SocialAccount:{i}" for i in ids
    ]
    assert (event.total_followers, event.avg_engagement) == (300, 3.0)
    assert await shown(gql, account) == as_shown(event)


async def test_a_sync_that_stores_nothing_announces_nothing(
    gql: GraphQLClient, broker: WitnessBroker, account: Account
):
    rejected = [{"platform": "TIKTOK", "followers": 5}, {"platform": "YOUTUBE", "followers": -5}]
    payload = await mutate(gql, account, BATCH, {"items": rejected})  # REJECT_EVERYTHING
    assert payload["count"] == 0
    failing = [{"platform": "TIKTOK", "followers": -5}]
    policy = {"items": failing, "errorPolicy": "REJECT_FAILED_ROWS"}
    assert (await mutate(gql, account, BATCH, policy))["count"] == 0
    missing = await mutate(gql, account, DISCONNECT, {"platform": "TWITTER"})
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
    assert broker.published == []


async def test_connecting_and_refreshing_by_provider_announce_the_account(
    gql: GraphQLClient, broker: WitnessBroker, fake_providers: FakeProviders, account: Account
):
    profile = pk(account)
    name = handle("tw")
    channel = fake_providers.twitch.add(name, followers=300)
    connected = await mutate(gql, account, CONNECT, {"platform": "TWITCH", "handle": name})
    assert connected["userErrors"] == []
    event = broker.only_event(profile)
    twitch = await account_id(profile, "TWITCH")
    assert f"SocialAccount:{twitch}" in event.tags and f"SocialAccounts:{profile}" in event.tags
    assert event.total_followers == 300
    # The cached answer is the one stored: nothing is written, so nothing is announced.
    await mutate(gql, account, REFRESH, {"platform": "TWITCH"})
    assert broker.published == []
    channel.followers = 450
    await mutate(gql, account, REFRESH, {"platform": "TWITCH", "force": True})
    event = broker.only_event(profile)
    assert event.tags == (f"Profile:{profile}", f"SocialAccount:{twitch}", "Discovery")
    assert await shown(gql, account) == as_shown(event)
    assert event.total_followers == 450


async def test_a_refresh_that_finds_the_account_gone_or_private_announces_its_state(
    gql: GraphQLClient, broker: WitnessBroker, fake_providers: FakeProviders, account: Account
):
    profile = pk(account)
    gone, hidden = handle("x"), handle("tt")
    fake_providers.x.add(gone, followers=42)
    user = fake_providers.tiktok.add(hidden, followers=58)
    for platform, name in (("TWITTER", gone), ("TIKTOK", hidden)):
        await mutate(gql, account, CONNECT, {"platform": platform, "handle": name})
        broker.only_event(profile)
    del fake_providers.x.users[gone]
    user.private = True
    for platform, state in (("TWITTER", "NOT_FOUND"), ("TIKTOK", "PRIVATE")):
        payload = await mutate(gql, account, REFRESH, {"platform": platform, "force": True})
        assert payload["account"]["state"] == state
        event = broker.only_event(profile)
        account_tag = f"SocialAccount:{await account_id(profile, platform)}"
        assert event.tags == (f"Profile:{profile}", account_tag, "Discovery")
        assert event.total_followers == 100  # the last known numbers stay
    listed = (await gql.data(ACCOUNTS, token=account.access_token))["socialAccounts"]
    assert {a["platform"]: a["state"] for a in listed} == {
        "TIKTOK": "PRIVATE",
        "TWITTER": "NOT_FOUND",
    }


async def test_a_quota_limited_connect_announces_the_saved_account(
    gql: GraphQLClient, broker: WitnessBroker, fake_providers: FakeProviders, account: Account
):
    profile = pk(account)
    await sync(gql, account, "YOUTUBE", 900)
    broker.only_event(profile)
    name = handle("tt")
    fake_providers.tiktok.add(name)
    fake_providers.tiktok.script(name, rapid_fake.monthly_quota(reset_seconds=1))
    started = time.monotonic()
    payload = await mutate(gql, account, CONNECT, {"platform": "TIKTOK", "handle": name})
    assert payload["account"]["state"] == "QUOTA_LIMITED"
    event = broker.only_event(profile)
    tiktok = await account_id(profile, "TIKTOK")
    assert event.tags == (
        f"Profile:{profile}",
        f"SocialAccount:{tiktok}",
        f"SocialAccounts:{profile}",
        "Discovery",
    )
    assert await shown(gql, account) == as_shown(event)
    # let the fake plan's quota reset pass so the shared server's TikTok provider works again
    await asyncio.sleep(max(0.0, 1.2 - (time.monotonic() - started)))


async def test_disconnect_announces_the_removed_account(
    gql: GraphQLClient, broker: WitnessBroker, account: Account
):
    profile = pk(account)
    await sync(gql, account, "TIKTOK", 1000)
    await sync(gql, account, "YOUTUBE", 250)
    tiktok = await account_id(profile, "TIKTOK")
    broker.clear()
    payload = await mutate(gql, account, DISCONNECT, {"platform": "TIKTOK"})
    assert payload["userErrors"] == []
    event = broker.only_event(profile)
    assert event.tags == (
        f"Profile:{profile}",
        f"SocialAccount:{tiktok}",
        f"SocialAccounts:{profile}",
        "Discovery",
    )
    assert event.total_followers == 250
    assert await shown(gql, account) == as_shown(event)


async def test_a_profile_update_announces_the_new_rizz_score_to_subscribers(
    gql: GraphQLClient, server: RunningServer, broker: WitnessBroker, account: Account
):
    """Completeness is part of the rizz score: a new bio changes it, and a subscriber who reads
    the profile as soon as the event arrives sees the committed score."""
    profile = pk(account)
    before = (await shown(gql, account))["rizzScore"]
    async with server.services.broker.subscribe(profile_topic(profile)) as events:
        update = asyncio.create_task(mutate(gql, account, UPDATE, {"bio": "Trail runner."}))
        raw = await asyncio.wait_for(anext(events), 5)
        seen_on_arrival = await shown(gql, account)
        payload = await update
    assert payload["userErrors"] == []
    event = broker.only_event(profile)
    assert decode_stats_event(raw) == event
    assert orjson.loads(raw)["type"] == "STATS_UPDATED"
    assert event.rizz_score == payload["profile"]["rizzScore"] > before
    assert event.tags == (f"Profile:{profile}", "Discovery")
    assert seen_on_arrival == as_shown(event)


# The source scan: the aggregates are written, and the profile's row lock taken, in one place.
AGGREGATES = {"total_followers", "avg_engagement", "rizz_score"}
ORM_WRITES = {
    "save",
    "update",
    "create",
    "bulk_create",
    "bulk_update",
    "update_or_create",
    "get_or_create",
    "update_from_dict",
    "setattr",
}
ALLOWED = {
    ("resolvers/aggregates.py", "recompute_profile_aggregates"): {"writes aggregates"},
    ("resolvers/stats_change.py", "change_profile_stats"): {
        "recomputes aggregates",
        "locks a profile",
    },
}
# Where writers live: everything but the models themselves, migrations, tests and benchmarks.
SKIPPED = {"tests", "migrations", "models", "bench", "build"}  # build/: pip install . output


class StatsWrites(ast.NodeVisitor):
    """Finds, per function, writes of a profile's aggregates, calls of the recompute and takings
    of the profile's row lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.function = "<module>"
        self.found: list[tuple[str, str, str, int]] = []

    def note(self, what: str, node: ast.AST) -> None:
        if what not in ALLOWED.get((self.path, self.function), set()):
            self.found.append((self.path, self.function, what, getattr(node, "lineno", 0)))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Store) and node.attr in AGGREGATES:
            self.note("writes aggregates", node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name == "recompute_profile_aggregates":
            self.note("recomputes aggregates", node)
        if (
            name == "select_for_update"
            and isinstance(node.func, ast.Attribute)
            and getattr(node.func.value, "id", None) == "Profile"
        ):
            self.note("locks a profile", node)
        if name in ORM_WRITES:
            named = {k.arg for k in node.keywords}
            texts = {
                n.value
                for arg in [*node.args, *(k.value for k in node.keywords)]
                for n in ast.walk(arg)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            if (named | texts) & AGGREGATES:
                self.note("writes aggregates", node)
        self.generic_visit(node)


def stats_writes(root: Path) -> list[tuple[str, str, str, int]]:
    found = []
    tops = [p for p in root.iterdir() if p.name not in SKIPPED and not p.name.startswith(".")]
    files = [p for p in tops if p.suffix == ".py"]
    files += [f for p in tops if p.is_dir() for f in p.rglob("*.py")]
    for path in sorted(files):
        relative = path.relative_to(root)
        visitor = StatsWrites(relative.as_posix())
        visitor.visit(ast.parse(path.read_text(), str(path)))
        found += visitor.found
    return found


def test_only_the_stats_tail_writes_aggregates_or_locks_a_profile():
    """Anything else that saved a profile's aggregates would change what it shows without the
    event that subscribers and caches rely on: hand the change to ``change_profile_stats``."""
    assert stats_writes(ROOT) == []


def test_the_scan_sees_a_writer_that_bypasses_the_tail(tmp_path: Path):
    (tmp_path / "resolvers").mkdir()
    (tmp_path / "resolvers" / "bypass.py").write_text(
        "async def bypass(profile):\n"
        "    async with in_transaction():\n"
        "        profile = await Profile.select_for_update().get(id=profile.id)\n"
        "        await recompute_profile_aggregates(profile, now)\n"
        "        profile.rizz_score = 0\n"
        "        await profile.save(update_fields=['rizz_score'])\n"
        "        await Profile.filter(id=1).update(total_followers=0)\n"
    )
    assert [(what, line) for _, _, what, line in stats_writes(tmp_path)] == [
        ("locks a profile", 3),
        ("recomputes aggregates", 4),
        ("writes aggregates", 5),
        ("writes aggregates", 6),
        ("writes aggregates", 7),
    ]
