"""The job engine behind the scheduled jobs: procrastinate on PostgreSQL, a small in-process
scheduler on SQLite. Both run the same calls on the same cron schedules, so a laptop behaves
like production.

PostgreSQL (``ProcrastinateQueue``): every instance runs a procrastinate worker. Each call is a
periodic task; procrastinate records each (task, tick) it defers in a table with a unique key,
so however many instances run, a tick becomes one job, and the task's ``queueing_lock`` keeps a
second one from queueing while one waits. The task's ``lock`` keeps two runs of one job from
overlapping, and a failed run is retried with exponential backoff.

SQLite (``InProcessQueue``): procrastinate's ``InMemoryConnector`` does run periodic tasks and a
worker (its ``defer_periodic_job_one`` deduplicates ticks in a dict), but it is built for tests:
it appends every query it answers to a list (``self.queries``) and keeps every finished job in
``self.jobs``, both for the life of the process — a worker polling every few seconds would grow
them without bound. One process needs no deduplication, so a loop that sleeps until the next
cron tick and runs what is due is all SQLite needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from croniter import croniter

log = logging.getLogger("creatorgraph.jobs")

# Retries of a failed run (PostgreSQL): 3 attempts in all, waiting 2², 2³… seconds plus 10.
RETRY_ATTEMPTS = 3
RETRY_WAIT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class ScheduledCall:
    """One job: a unique name, a cron schedule (five fields, or six with seconds last), and
    what to run."""

    name: str
    cron: str
    run: Callable[[], Coroutine[Any, Any, object]]


class JobQueue(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Stops taking jobs; a running job gets the shutdown grace to finish, then is
        cancelled."""
        ...


async def run_all_once(calls: Sequence[ScheduledCall]) -> dict[str, BaseException | None]:
    """Runs every call once, in order, whatever its schedule (``python app.py jobs run-due``:
    each job selects the work that is due itself). A failure is logged and reported, and does
    not stop the others."""
    results: dict[str, BaseException | None] = {}
    for call in calls:
        try:
            await call.run()
        except Exception as error:
            log.exception("job %s failed", call.name)
            results[call.name] = error
        else:
            results[call.name] = None
    return results


class InProcessQueue:
    """Runs each call at its cron ticks inside this process (SQLite, one process)."""

    def __init__(self, calls: Sequence[ScheduledCall], shutdown_seconds: float = 10.0) -> None:
        self.calls = tuple(calls)
        self.shutdown_seconds = shutdown_seconds
        self._task: asyncio.Task[None] | None = None
        self._running: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="job scheduler")

    async def stop(self) -> None:
        if self._task is None:
            return
        running = self._running
        self._task.cancel()
        if running is not None and not running.done():
            # Cancelling the loop leaves the job it is awaiting running (shielded): give it
            # the grace, then cancel it.
            done, _ = await asyncio.wait({running}, timeout=self.shutdown_seconds)
            if not done:
                running.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _loop(self) -> None:
        now = time.time()
        schedule = {call.name: croniter(call.cron, now) for call in self.calls}
        next_at = {name: it.get_next(float) for name, it in schedule.items()}
        while self.calls:
            wake = min(next_at.values())
            await asyncio.sleep(max(0.0, wake - time.time()))
            now = time.time()
            for call in self.calls:
                if next_at[call.name] > now:
                    continue
                # Ticks missed while a job ran are skipped, not run one after another.
                while next_at[call.name] <= now:
                    next_at[call.name] = schedule[call.name].get_next(float)
                log.info("job %s starts", call.name)
                self._running = asyncio.create_task(call.run(), name=f"job {call.name}")
                try:
                    await asyncio.shield(self._running)
                except Exception:
                    log.exception("job %s failed; it runs again at its next tick", call.name)
                finally:
                    self._running = None


class ProcrastinateQueue:
    """A procrastinate worker in this process, with each call registered as a periodic task."""

    def __init__(
        self,
        database_url: str,
        calls: Sequence[ScheduledCall],
        shutdown_seconds: float = 10.0,
        worker_name: str = "creatorgraph",
    ) -> None:
        import procrastinate

        self.shutdown_seconds = shutdown_seconds
        self.worker_name = worker_name
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=_libpq_url(database_url), min_size=1, max_size=4
            )
        )
        for call in calls:
            self._register(call)
        self._task: asyncio.Task[None] | None = None

    def _register(self, call: ScheduledCall) -> None:
        import procrastinate

        async def run(timestamp: int) -> None:
            log.info("job %s (tick %s) starts", call.name, timestamp)
            await call.run()

        task = self.app.task(
            name=call.name,
            retry=procrastinate.RetryStrategy(
                max_attempts=RETRY_ATTEMPTS, wait=RETRY_WAIT_SECONDS, exponential_wait=2
            ),
            lock=call.name,
            queueing_lock=call.name,
        )(run)
        self.app.periodic(cron=call.cron, periodic_id=call.name)(task)

    async def start(self) -> None:
        await self.app.open_async()
        self._task = asyncio.create_task(
            self.app.run_worker_async(
                name=self.worker_name,
                install_signal_handlers=False,
                shutdown_graceful_timeout=self.shutdown_seconds,
                delete_jobs="successful",
            ),
            name="job worker",
        )

    async def stop(self) -> None:
        # Cancelling run_worker_async is procrastinate's graceful stop: no new jobs, running
        # ones get shutdown_graceful_timeout, then are aborted.
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.app.close_async()


def _libpq_url(url: str) -> str:
    """``postgres://`` and ``asyncpg://`` (Tortoise's spellings) as libpq reads them."""
    return "postgresql://" + url.split("://", 1)[1]


async def apply_job_schema(connection: Any) -> bool:
    """Creates procrastinate's tables when absent (an asyncpg connection, called under the
    migration lock). True when it created them. A procrastinate upgrade that changes its schema
    ships SQL migrations (procrastinate/sql/migrations) to apply by hand or with its CLI."""
    exists = await connection.fetchval("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
    if exists:
        return False
    from procrastinate.schema import SchemaManager

    await connection.execute(SchemaManager.get_schema())
    return True
