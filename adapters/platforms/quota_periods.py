"""When a provider's calendar quota starts over, for providers that do not say.

X's usage cap, RapidAPI's plan quota and Apify's monthly usage all reset with the calendar, and
none sends the moment; we take the start of the next UTC day or month. A provider that does
say (a header) wins over these; YouTube's Pacific-time day is its own rule (youtube.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def next_day_start(now: datetime) -> datetime:
    """Midnight UTC after ``now``: when a daily quota resets."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def next_month_start(now: datetime) -> datetime:
    """The first of the month after ``now``, at midnight UTC: when a monthly quota resets."""
    moment = now.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)
