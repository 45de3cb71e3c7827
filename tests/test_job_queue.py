"""The in-process job engine (SQLite): the same calls on the same cron schedules, each run
apart, a failure not stopping the schedule, and a stop that waits for a running job only as
long as the grace."""

from __future__ import annotations

import asyncio

import pytest

from adapters.job_queue import InProcessQueue, ScheduledCall, run_all_once
from settings import Settings, SettingsError

EVERY_SECOND = "* * * * * *"


async def test_calls_run_at_their_ticks_and_a_failure_does_not_stop_the_schedule():
    runs: list[str] = []

    async def works() -> None:
        runs.append("works")

    async def fails() -> None:
        runs.append("fails")
        raise RuntimeError("boom")

    queue = InProcessQueue(
        [ScheduledCall("fails", EVERY_SECOND, fails), ScheduledCall("works", EVERY_SECOND, works)]
    )
    await queue.start()
    await asyncio.sleep(2.6)
    await queue.stop()

    assert runs.count("works") >= 2
    assert runs.count("fails") == runs.count("works")


async def test_stop_waits_for_a_running_job_up_to_the_grace_then_cancels_it():
    finished: list[str] = []
    started = asyncio.Event()

    async def slow(seconds: float, name: str) -> None:
        started.set()
        await asyncio.sleep(seconds)
        finished.append(name)

    queue = InProcessQueue([ScheduledCall("quick", EVERY_SECOND, lambda: slow(0.3, "quick"))], 2)
    await queue.start()
    await started.wait()
    await queue.stop()
    assert finished == ["quick"]  # finished within the grace

    started.clear()
    queue = InProcessQueue([ScheduledCall("stuck", EVERY_SECOND, lambda: slow(60, "stuck"))], 0.2)
    await queue.start()
    await started.wait()
    async with asyncio.timeout(2):
        await queue.stop()
    assert finished == ["quick"]  # cancelled after the grace


async def test_run_all_once_runs_every_call_and_reports_failures():
    ran: list[str] = []

    async def ok() -> None:
        ran.append("ok")

    async def broken() -> None:
        raise ValueError("no")

    results = await run_all_once(
        [ScheduledCall("broken", "0 0 1 1 *", broken), ScheduledCall("ok", "0 0 1 1 *", ok)]
    )

    assert ran == ["ok"]
    assert results["ok"] is None and isinstance(results["broken"], ValueError)


def test_a_schedule_that_is_not_cron_refuses_to_start():
    with pytest.raises(SettingsError, match="REFRESH_CRON"):
        Settings.from_env({"REFRESH_CRON": "every hour", "JWT_SECRET": "x" * 40})


def test_jobs_settings_default_to_the_documented_intervals():
    jobs = Settings.from_env({"JWT_SECRET": "x" * 40}).jobs
    assert (
        jobs.refresh_hot_seconds,
        jobs.refresh_default_seconds,
        jobs.refresh_dormant_seconds,
    ) == (3600, 86400, 604800)
    assert jobs.worker and jobs.quota_reserve_percent == 10.0
    assert not Settings.from_env({"JWT_SECRET": "x" * 40, "JOBS_WORKER": "off"}).jobs.worker
