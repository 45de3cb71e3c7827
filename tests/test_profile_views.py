"""Accounts that are viewed often are refreshed every hour: reads of a profile by others are
counted in memory, written in bulk, and the scheduled refresh makes the account hot when its
profile was read ``hot_views`` times on the current or the previous day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jobs.registry import JobContext, scheduled_jobs
from models import Platform, Profile, SocialAccount
from resolvers.profile_views import flush_profile_views, recent_views
from resolvers.scheduled_refresh import HOT, RefreshSchedule, refresh_due_accounts
from tests.conftest import Account, GraphQLClient, RunningServer, register
from tests.fakes import FakeProviders
from tests.test_jobs import make_due, profile_id
from tests.test_platforms_api import connect, handle

PROFILE = "query($id: ID!) { profile(id: $id) { id } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
SCHEDULE = RefreshSchedule(hot_views=5)


async def read(
    gql: GraphQLClient, profile: str, token: str | None, times: int, query: str = PROFILE
) -> None:
    for _ in range(times):
        data = await gql.data(query, {"id": profile}, token)
        assert next(iter(data.values())) == {"id": profile}


async def connected_owner(gql: GraphQLClient, fake_providers: FakeProviders) -> Account:
    owner = await register(gql)
    name = handle("viewed")
    fake_providers.tiktok.add(name, followers=1000)  # unchanged at refresh: not hot by change
    assert not (await connect(gql, owner, "TIKTOK", name))["userErrors"]
    return owner


async def refreshed_in(server: RunningServer, owner: Account) -> timedelta:
    account = await make_due(Platform.TIKTOK, owner)
    run = await refresh_due_accounts(server.services, SCHEDULE)
    assert account.id in run.refreshed
    row = await SocialAccount.get(id=account.id)
    assert row.next_refresh_at is not None
    return row.next_refresh_at - datetime.now(UTC)


async def test_a_profile_viewed_often_is_refreshed_within_the_hour(
    gql: GraphQLClient, server: RunningServer, fake_providers: FakeProviders
) -> None:
    owner, reader = await connected_owner(gql, fake_providers), await register(gql)
    await read(gql, owner.profile_id, reader.access_token, 3)
    await read(gql, owner.profile_id, None, 1)  # signed out counts too
    await read(gql, owner.profile_id, reader.access_token, 1, NODE)  # and node(id)

    await flush_profile_views(server.services)

    assert (await Profile.get(id=profile_id(owner))).views_today == 5
    assert await refreshed_in(server, owner) <= timedelta(hours=1)
    account = await SocialAccount.get(profile_id=profile_id(owner), platform=Platform.TIKTOK)
    assert account.refresh_priority == HOT


async def test_a_profile_read_less_often_or_by_its_owner_keeps_the_daily_pace(
    gql: GraphQLClient, server: RunningServer, fake_providers: FakeProviders
) -> None:
    owner, reader = await connected_owner(gql, fake_providers), await register(gql)
    await read(gql, owner.profile_id, owner.access_token, 10)  # its owner's own reads
    await read(gql, owner.profile_id, reader.access_token, 4)

    await flush_profile_views(server.services)

    assert (await Profile.get(id=profile_id(owner))).views_today == 4
    assert await refreshed_in(server, owner) > timedelta(hours=23)


async def test_views_are_written_by_the_minutely_job_and_a_new_day_starts_afresh(
    gql: GraphQLClient, server: RunningServer, fake_providers: FakeProviders
) -> None:
    owner, reader = await connected_owner(gql, fake_providers), await register(gql)
    today = datetime.now(UTC).date()
    await Profile.filter(id=profile_id(owner)).update(
        views_today=30, views_yesterday=99, views_day=today - timedelta(days=1)
    )
    await read(gql, owner.profile_id, reader.access_token, 2)
    [job] = [
        j for name, _, j in scheduled_jobs(server.settings.jobs) if name == "flush-profile-views"
    ]

    written = await job(JobContext(server.services, server.settings.jobs))
    assert isinstance(written, int) and written >= 1

    profile = await Profile.get(id=profile_id(owner))
    assert (profile.views_day, profile.views_today, profile.views_yesterday) == (today, 2, 30)
    assert recent_views(profile, today) == 30  # read often yesterday: still hot today


def test_recent_views_are_the_busier_of_today_and_yesterday() -> None:
    today = date(2026, 12, 1)
    profile = Profile(views_today=3, views_yesterday=8, views_day=today)
    assert recent_views(profile, today) == 8
    assert recent_views(profile, today + timedelta(days=1)) == 3  # its "today" is yesterday now
    assert recent_views(profile, today + timedelta(days=2)) == 0
    assert recent_views(Profile(views_today=0, views_yesterday=0, views_day=None), today) == 0
