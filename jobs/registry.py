"""Every scheduled job, in one list: a name, a cron schedule and the operation it calls.

Adding a job is one line in ``scheduled_jobs``. A job takes the ``JobContext`` (the services
the lifespan built, and the settings) and calls one operation in resolvers/; it must be safe to
run again at any time — each selects the work that is due itself — because ``python app.py
jobs run-due`` runs every job regardless of its schedule, and a failed run is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from adapters.job_queue import InProcessQueue, JobQueue, ProcrastinateQueue, ScheduledCall
from resolvers.growth_refresh import refresh_growth
from resolvers.housekeeping import compact_history, delete_expired_refresh_tokens
from resolvers.idempotency import delete_expired_keys
from resolvers.mail_outbox import send_due_mail
from resolvers.oauth import scheduled_oauth_fetch
from resolvers.oauth_tokens import delete_expired_oauth_states, refresh_expiring_tokens
from resolvers.profile_views import flush_profile_views
from resolvers.scheduled_refresh import RefreshSchedule, refresh_due_accounts
from resolvers.services import Services
from resolvers.webhooks import send_due_webhooks
from settings import JobSettings


@dataclass(frozen=True, slots=True)
class JobContext:
    services: Services
    settings: JobSettings


Job = Callable[[JobContext], Awaitable[object]]


def scheduled_jobs(settings: JobSettings) -> list[tuple[str, str, Job]]:
    """``(name, cron, job)`` for every job; names are unique and stable (the PostgreSQL engine
    deduplicates ticks by name)."""
    return [
        ("refresh-accounts", settings.refresh_cron, refresh_accounts),
        ("delete-expired-refresh-tokens", "17 3 * * *", delete_refresh_tokens),
        ("compact-history", "41 3 * * *", compact_stats_history),
        ("delete-expired-idempotency-keys", "23 * * * *", delete_idempotency_keys),
        ("refresh-expiring-oauth-tokens", "*/15 * * * *", refresh_oauth_tokens),
        ("delete-expired-oauth-states", "11 * * * *", delete_oauth_states),
        ("send-due-mail", "* * * * *", send_mail),
        ("refresh-growth", "53 3 * * *", refresh_profile_growth),
        ("send-due-webhooks", "* * * * *", lambda context: send_due_webhooks(context.services)),
        ("flush-profile-views", "* * * * *", lambda c: flush_profile_views(c.services)),
    ]


def scheduled_calls(context: JobContext) -> list[ScheduledCall]:
    """The jobs bound to their context, as the engine runs them."""
    return [
        ScheduledCall(name, cron, _bind(job, context))
        for name, cron, job in scheduled_jobs(context.settings)
    ]


def _bind(job: Job, context: JobContext) -> Callable[[], Coroutine[Any, Any, object]]:
    async def run() -> object:
        return await job(context)

    return run


async def refresh_accounts(context: JobContext) -> object:
    return await refresh_due_accounts(
        context.services, refresh_schedule(context.settings), scheduled_oauth_fetch
    )


async def delete_refresh_tokens(context: JobContext) -> object:
    return await delete_expired_refresh_tokens()


async def refresh_oauth_tokens(context: JobContext) -> object:
    return await refresh_expiring_tokens(context.services)


async def delete_oauth_states(context: JobContext) -> object:
    return await delete_expired_oauth_states(context.services)


async def delete_idempotency_keys(context: JobContext) -> object:
    return await delete_expired_keys()


async def compact_stats_history(context: JobContext) -> object:
    return await compact_history(
        context.settings.history_full_days, context.settings.history_keep_days
    )


async def send_mail(context: JobContext) -> object:
    return await send_due_mail(context.services.mailer)


async def refresh_profile_growth(context: JobContext) -> object:
    return await refresh_growth(context.services)


def refresh_schedule(settings: JobSettings) -> RefreshSchedule:
    return RefreshSchedule(
        hot_seconds=settings.refresh_hot_seconds,
        default_seconds=settings.refresh_default_seconds,
        dormant_seconds=settings.refresh_dormant_seconds,
        retry_seconds=settings.refresh_retry_seconds,
        hot_change_percent=settings.hot_change_percent,
        hot_views=settings.refresh_hot_views,
        dormant_after_days=settings.dormant_after_days,
        reserve=settings.quota_reserve_percent / 100,
        batch=settings.refresh_batch,
    )


def build_job_queue(database_url: str, context: JobContext) -> JobQueue:
    """procrastinate on PostgreSQL, the in-process scheduler on SQLite (adapters/job_queue.py
    says why)."""
    calls = scheduled_calls(context)
    grace = context.settings.shutdown_seconds
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return ProcrastinateQueue(database_url, calls, grace)
    return InProcessQueue(calls, grace)
