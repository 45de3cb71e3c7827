"""Scheduled jobs: numbers that change with nobody clicking, failures the owner can read, the
quota kept for users, history kept compact, expired tokens removed, spent keys handed over.

The session server runs no worker (``JOBS_WORKER=off``): these tests run the jobs themselves,
through ``python app.py jobs run-due`` or the operation a job calls. "Due" and "old" need time
to pass, so a test moves an account's schedule or a snapshot's time into the past — the only
rows written by hand here.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.cache import Cache
from adapters.platforms.errors import QuotaExhausted
from adapters.platforms.lookup import PlatformLookup
from adapters.platforms.provider_state import ProviderState
from adapters.platforms.registry import build_providers, key_id
from adapters.platforms.types import Platform as ProviderPlatform
from jobs.registry import JobContext, scheduled_jobs
from models import IdempotencyKey, Platform, RefreshToken, SocialAccount, StatsSnapshot
from resolvers.housekeeping import compact_history, delete_expired_refresh_tokens
from resolvers.scheduled_refresh import HOT, RefreshSchedule, refresh_due_accounts
from schema.node import decode_id
from tests.conftest import (
    Account,
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
    uses_redis,
)
from tests.fakes import FakeProviders, Reply
from tests.fakes import rapidapi as rapid_fake
from tests.test_platforms_api import connect, handle

ROOT = Path(__file__).resolve().parent.parent

ACCOUNTS = """{ socialAccounts { platform followers source nextRefreshAt
  lastRefreshError { code message at } } }"""
NOTIFICATIONS = "{ notifications(first: 5) { edges { node { type } } } }"


async def run_due(server: RunningServer, fake_providers: FakeProviders) -> str:
    """``python app.py jobs run-due`` against the session server's database."""
    env = {
        **os.environ,
        **server_environment(**fake_providers.environment()),
        "DATABASE_URL": server.settings.database_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        "jobs",
        "run-due",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()[-3000:]
    return output.decode()


def profile_id(account: Account) -> int:
    return decode_id(account.profile_id, "Profile")[1]


def user_id(account: Account) -> int:
    return decode_id(account.user_id, "User")[1]


async def make_due(platform: Platform, account: Account, **fields: object) -> SocialAccount:
    row = await SocialAccount.get(profile_id=profile_id(account), platform=platform)
    await SocialAccount.filter(id=row.id).update(
        next_refresh_at=datetime.now(UTC) - timedelta(minutes=1), **fields
    )
    return row


async def viewer_accounts(gql: GraphQLClient, account: Account) -> dict[str, dict]:
    data = await gql.data(ACCOUNTS, None, account.access_token)
    return {a["platform"]: a for a in data["socialAccounts"]}


SCHEDULE = RefreshSchedule(retry_seconds=900)


async def test_run_due_refreshes_provider_accounts_with_nobody_clicking(
    gql, server, fake_providers
):
    owner = await register(gql)
    name = handle("jobs")
    user = fake_providers.tiktok.add(name, followers=1000)
    assert not (await connect(gql, owner, "TIKTOK", name))["userErrors"]
    user.followers = 1500
    await make_due(Platform.TIKTOK, owner)

    await run_due(server, fake_providers)

    tiktok = (await viewer_accounts(gql, owner))["TIKTOK"]
    assert tiktok["followers"] == 1500
    assert tiktok["lastRefreshError"] is None
    # Followers moved by half: the account is hot, due again within the hour.
    next_at = datetime.fromisoformat(tiktok["nextRefreshAt"])
    assert timedelta(minutes=55) < next_at - datetime.now(UTC) <= timedelta(hours=1)
    # Stored through the one stats path as SYSTEM: the owner hears of it.
    edges = (await gql.data(NOTIFICATIONS, None, owner.access_token))["notifications"]["edges"]
    assert "SYNC_COMPLETED" in [e["node"]["type"] for e in edges]


async def test_an_account_not_due_is_left_alone(gql, server, fake_providers):
    owner = await register(gql)
    name = handle("fresh")
    user = fake_providers.tiktok.add(name, followers=1000)
    assert not (await connect(gql, owner, "TIKTOK", name))["userErrors"]
    user.followers = 2000
    calls = fake_providers.tiktok.calls[name]

    await refresh_due_accounts(server.services, SCHEDULE)

    assert fake_providers.tiktok.calls[name] == calls
    assert (await viewer_accounts(gql, owner))["TIKTOK"]["followers"] == 1000


async def test_a_failing_refresh_is_recorded_on_the_account_and_shown_to_its_owner(
    gql, server, fake_providers
):
    owner = await register(gql)
    name = handle("fail")
    fake_providers.tiktok.add(name, followers=1000)
    assert not (await connect(gql, owner, "TIKTOK", name))["userErrors"]
    await make_due(Platform.TIKTOK, owner)
    fake_providers.tiktok.script(name, *[Reply(status=503, json={"message": "down"})] * 3)

    run = await refresh_due_accounts(server.services, SCHEDULE)

    row = await SocialAccount.get(profile_id=profile_id(owner), platform=Platform.TIKTOK)
    assert row.id in run.failed
    tiktok = (await viewer_accounts(gql, owner))["TIKTOK"]
    assert tiktok["followers"] == 1000
    assert tiktok["lastRefreshError"]["code"] == "PROVIDER_UNAVAILABLE"
    assert "not answering" in tiktok["lastRefreshError"]["message"]
    retry_in = datetime.fromisoformat(tiktok["nextRefreshAt"]) - datetime.now(UTC)
    assert timedelta(minutes=14) < retry_in <= timedelta(minutes=15)

    # The next attempt succeeds: the error is gone.
    await make_due(Platform.TIKTOK, owner)
    await refresh_due_accounts(server.services, SCHEDULE)
    assert (await viewer_accounts(gql, owner))["TIKTOK"]["lastRefreshError"] is None


async def test_hot_accounts_go_first_and_background_work_stops_at_the_quota_reserve(
    gql, server, fake_providers
):
    owners = [await register(gql) for _ in range(3)]
    names = [handle("q") for _ in owners]
    for owner, name in zip(owners, names, strict=True):
        fake_providers.tiktok.add(name, followers=1000)
        assert not (await connect(gql, owner, "TIKTOK", name))["userErrors"]
    # Three due accounts; the last connected is the hot one.
    for owner in owners[:2]:
        await make_due(Platform.TIKTOK, owner)
    hot = await make_due(Platform.TIKTOK, owners[2], refresh_priority=HOT)
    calls = {n: fake_providers.tiktok.calls[n] for n in names}
    fake_providers.tiktok.remaining = 50  # of 500: the answer says the last 10% is reached
    try:
        run = await refresh_due_accounts(server.services, SCHEDULE)

        assert run.refreshed == [hot.id]
        assert Platform.TIKTOK in run.held_back
        assert [fake_providers.tiktok.calls[n] - calls[n] for n in names] == [0, 0, 1]
        for owner in owners[:2]:  # left due, with nothing to report to their owners
            tiktok = (await viewer_accounts(gql, owner))["TIKTOK"]
            assert tiktok["lastRefreshError"] is None
            assert datetime.fromisoformat(tiktok["nextRefreshAt"]) < datetime.now(UTC)
        # A user's own lookup may still spend the reserve.
        assert (await connect(gql, owners[0], "TIKTOK", names[0]))["userErrors"] == []
    finally:
        fake_providers.tiktok.remaining = 499
        # One answer with plenty left, so later tests see the plan as it is again.
        await server.services.platforms.fetch(ProviderPlatform.TIKTOK, names[0])


async def test_history_keeps_every_snapshot_for_30_days_then_one_a_day(gql, server):
    owner = await register(gql)
    sync = "mutation { socialSync(input: {platform: YOUTUBE, followers: 10}) { __typename } }"
    await gql.data(sync, None, owner.access_token)
    account = await SocialAccount.get(profile_id=profile_id(owner), platform=Platform.YOUTUBE)
    await StatsSnapshot.filter(account_id=account.id).delete()
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)

    async def snapshot(days_ago: float, hour: int, followers: int) -> None:
        taken = (now - timedelta(days=days_ago)).replace(hour=hour)
        await StatsSnapshot.create(
            account=account, followers=followers, source="MANUAL", taken_at=taken
        )

    await snapshot(800, 9, 1)  # older than two years: gone
    await snapshot(100, 8, 2)  # an old day with three: only its last stays
    await snapshot(100, 13, 3)
    await snapshot(100, 20, 4)
    await snapshot(40, 10, 5)  # an old day with one: stays
    await snapshot(5, 8, 6)  # the last 30 days: all stay
    await snapshot(5, 9, 7)

    result = await compact_history(full_days=30, keep_days=730, now=now)

    kept = await StatsSnapshot.filter(account_id=account.id).order_by("taken_at")
    assert [s.followers for s in kept] == [4, 5, 6, 7]
    assert result.expired >= 1 and result.thinned >= 2


async def test_expired_refresh_tokens_are_deleted_and_valid_ones_kept(gql, server):
    first = await register(gql)
    second = await register(gql)
    await RefreshToken.filter(user_id=user_id(first)).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    assert await delete_expired_refresh_tokens() >= 1

    assert not await RefreshToken.filter(user_id=user_id(first)).exists()
    assert await RefreshToken.filter(user_id=user_id(second)).exists()


async def test_a_spent_rapidapi_key_hands_over_to_the_next(fake_providers):
    spent = "spent-rapidapi-key"
    fake_providers.tiktok.spent_keys.add(spent)
    settings = fake_providers.settings(RAPIDAPI_KEY=f"{spent}, {rapid_fake.RAPIDAPI_KEY}")
    async with httpx.AsyncClient() as http:
        providers = build_providers(settings, http, ProviderState())
        lookup = PlatformLookup(providers, Cache.memory("jobs-test"))
        name = handle("key")
        fake_providers.tiktok.add(name, followers=77)

        first = await lookup.fetch(ProviderPlatform.TIKTOK, name)
        second = await lookup.fetch(ProviderPlatform.TIKTOK, name)

    assert first.followers == second.followers == 77
    keys = [
        s.headers.get("x-rapidapi-key") for s in fake_providers.tiktok.seen if name in str(s.query)
    ]
    # The spent key was asked once; its quota gate then skipped it without a request.
    assert keys == [spent, rapid_fake.RAPIDAPI_KEY, rapid_fake.RAPIDAPI_KEY]
    assert [p.name for p in providers[ProviderPlatform.TIKTOK]] == ["rapidapi", "rapidapi"]
    assert lookup.provider_names(ProviderPlatform.TIKTOK) == ("rapidapi",)


def test_keys_are_named_by_a_short_hash_never_by_themselves():
    name = key_id("super-secret-key")
    assert len(name) == 10 and "secret" not in name
    assert name != key_id("another-key")


@pytest.mark.skipif(not uses_redis(), reason="needs REDIS_URL")
async def test_one_instance_learning_a_quota_is_spent_spares_the_others_a_request(
    fake_providers,
):
    import redis.asyncio as redis

    spent = "shared-spent-key"
    fake_providers.tiktok.spent_keys.add(spent)
    settings = fake_providers.settings(RAPIDAPI_KEY=spent)
    first_client = redis.from_url(os.environ["REDIS_URL"])
    second_client = redis.from_url(os.environ["REDIS_URL"])
    try:
        async with httpx.AsyncClient() as http:
            # Two instances: each its own providers, Redis client and provider state.
            first = build_providers(settings, http, ProviderState(first_client))
            second = build_providers(settings, http, ProviderState(second_client))
            name = handle("shared")
            with pytest.raises(QuotaExhausted):
                await first[ProviderPlatform.TIKTOK][0].fetch(name)
            with pytest.raises(QuotaExhausted) as refused:
                await second[ProviderPlatform.TIKTOK][0].fetch(name)
    finally:
        await first_client.aclose()
        await second_client.aclose()
    assert fake_providers.tiktok.calls[name] == 1  # only the first instance asked
    assert refused.value.retry_at is not None


async def test_the_clean_up_job_deletes_expired_idempotency_keys_and_keeps_live_ones(server):
    """Keys expire after IDEMPOTENCY_KEY_SECONDS; the hourly job bounds the table (expired keys
    are otherwise only replaced when a client uses the same key again)."""
    now = datetime.now(UTC)
    stale, live = f"stale-{os.urandom(4).hex()}", f"live-{os.urandom(4).hex()}"
    for key, expires in ((stale, now - timedelta(seconds=1)), (live, now + timedelta(hours=1))):
        await IdempotencyKey.create(
            scope="user:0",
            key=key,
            fingerprint="f",
            claim="c",
            locked_until=now,
            expires_at=expires,
        )
    context = JobContext(server.services, server.settings.jobs)
    [job] = [job for name, _, job in scheduled_jobs(server.settings.jobs) if "idempotency" in name]

    assert await job(context) >= 1

    assert not await IdempotencyKey.filter(key=stale).exists()
    assert await IdempotencyKey.filter(key=live).exists()
