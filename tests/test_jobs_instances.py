"""Two server processes on one PostgreSQL, each with its job worker: a periodic job runs once
per period, not once per instance, and each worker stops cleanly with its server."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest

from tests.conftest import RunningServer, server_environment, uses_postgres
from tests.fakes import FakeProviders
from tests.server_process import served

pytestmark = pytest.mark.skipif(not uses_postgres(), reason="needs DATABASE_URL (PostgreSQL)")

TICK = re.compile(r"job refresh-accounts \(tick (\d+)\) starts")


async def test_a_periodic_job_runs_once_per_period_across_two_instances(
    server: RunningServer, fake_providers: FakeProviders
):
    env = server_environment(
        **fake_providers.environment(),
        JOBS_WORKER="on",
        REFRESH_CRON="* * * * * */2",  # every two seconds (a sixth field: seconds)
    )
    async with served(env) as first, served(env) as second:
        await asyncio.sleep(9)
        for instance in (first, second):
            instance.process.terminate()
        async with asyncio.timeout(15):  # the job grace (10 s) and the server's own stop
            await first.process.wait()
            await second.process.wait()
        logs = [first.log.read_text(), second.log.read_text()]

    ticks = Counter(tick for log in logs for tick in TICK.findall(log))
    assert len(ticks) >= 3, logs
    assert set(ticks.values()) == {1}, ticks  # no tick ran on both instances
    # Both stopped cleanly on SIGTERM (uvicorn then exits by that signal), each worker first.
    for log in logs:
        assert log.index("Stopped worker") < log.index("Application shutdown complete"), log
