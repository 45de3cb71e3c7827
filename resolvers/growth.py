"""Growth over time, read from the StatsSnapshot history: one definition, here and nowhere else.

For one platform and a window of N days (7, 30 or 90), at time ``now``:

- the **latest** value is the account's newest snapshot;
- the **baseline** is its last snapshot taken at or before ``now − N days``; when no snapshot is
  that old, the oldest one (``fullWindow`` is then false, and ``since`` says how far back it
  reaches);
- ``followersChange`` = latest followers − baseline followers;
- ``followersPercent`` = that change / baseline followers × 100, half-up to 2 decimals; null
  when the baseline is 0 (no percentage of nothing);
- ``engagementChange`` = latest engagement − baseline engagement, in percentage points, 2
  decimals; null when either is unknown;
- no growth at all (null) while the account has a single snapshot: nothing to compare.

For a profile, over the platforms that have a growth (at least two snapshots): the follower
change is the sum of their changes, each from its own baseline; the percent is that sum over the
sum of their baselines (null when 0); the engagement change is the profile average now minus the
profile average at the baselines, both by ``average_engagement`` (the aggregates' one rule)
over those platforms, null when neither end has any engagement above 0; ``since`` is the oldest
of their baselines and ``fullWindow`` holds when every baseline is the window old.

The history keeps every snapshot for 30 days and one a day beyond (resolvers/housekeeping.py),
so a 90-day baseline is the last snapshot of its day. Snapshots are appended under the
profile's lock, so a higher id is a later snapshot: the queries pick rows by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from tortoise.functions import Max, Min

from models import Profile, SocialAccount, StatsSnapshot
from resolvers.aggregates import average_engagement

_CENT = Decimal("0.01")


class GrowthWindow(StrEnum):
    DAYS_7 = "DAYS_7"
    DAYS_30 = "DAYS_30"
    DAYS_90 = "DAYS_90"

    @property
    def days(self) -> int:
        return int(self.value.removeprefix("DAYS_"))


@dataclass(frozen=True, slots=True)
class Point:
    """One snapshot's numbers."""

    followers: int
    engagement: float | None
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class Growth:
    followers_change: int
    followers_percent: float | None
    engagement_change: float | None
    since: datetime
    full_window: bool


@dataclass(frozen=True, slots=True)
class Ends:
    """An account's latest snapshot and its baseline for one window."""

    latest: Point
    baseline: Point


def _two_places(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _percent(change: int, baseline: int) -> float | None:
    return None if baseline == 0 else _two_places(Decimal(change) * 100 / Decimal(baseline))


def _difference(now: float | None, then: float | None) -> float | None:
    if now is None or then is None:
        return None
    return _two_places(Decimal(str(now)) - Decimal(str(then)))


def platform_growth(ends: Ends | None, cutoff: datetime) -> Growth | None:
    if ends is None:
        return None
    change = ends.latest.followers - ends.baseline.followers
    return Growth(
        followers_change=change,
        followers_percent=_percent(change, ends.baseline.followers),
        engagement_change=_difference(ends.latest.engagement, ends.baseline.engagement),
        since=ends.baseline.taken_at,
        full_window=ends.baseline.taken_at <= cutoff,
    )


def profile_growth(platforms: Iterable[Ends | None], cutoff: datetime) -> Growth | None:
    counted = [e for e in platforms if e is not None]
    if not counted:
        return None
    change = sum(e.latest.followers - e.baseline.followers for e in counted)
    baseline = sum(e.baseline.followers for e in counted)
    now_engagements = [e.latest.engagement for e in counted]
    then_engagements = [e.baseline.engagement for e in counted]
    has_engagement = any(v is not None and v > 0 for v in [*now_engagements, *then_engagements])
    return Growth(
        followers_change=change,
        followers_percent=_percent(change, baseline),
        engagement_change=_difference(
            average_engagement(now_engagements), average_engagement(then_engagements)
        )
        if has_engagement
        else None,
        since=min(e.baseline.taken_at for e in counted),
        full_window=all(e.baseline.taken_at <= cutoff for e in counted),
    )


def cutoff_of(window: GrowthWindow, now: datetime) -> datetime:
    return now - timedelta(days=window.days)


async def account_ends(
    account_ids: Sequence[int], cutoffs: Iterable[datetime]
) -> dict[datetime, dict[int, Ends]]:
    """For each cutoff, the ends of every account that has at least two snapshots — in
    2 + (number of cutoffs) queries, whatever the number of accounts."""
    ids = list(set(account_ids))
    result: dict[datetime, dict[int, Ends]] = {c: {} for c in cutoffs}
    if not ids:
        return result
    spans = (
        await StatsSnapshot.filter(account_id__in=ids)
        .annotate(latest=Max("id"), oldest=Min("id"))
        .group_by("account_id")
        .values("account_id", "latest", "oldest")
    )
    span = {
        r["account_id"]: (r["latest"], r["oldest"]) for r in spans if r["latest"] != r["oldest"]
    }
    if not span:
        return result
    baselines: dict[datetime, dict[int, int]] = {}
    for cutoff in result:
        rows = (
            await StatsSnapshot.filter(account_id__in=list(span), taken_at__lte=cutoff)
            .annotate(baseline=Max("id"))
            .group_by("account_id")
            .values("account_id", "baseline")
        )
        baselines[cutoff] = {r["account_id"]: r["baseline"] for r in rows}
    wanted = {i for pair in span.values() for i in pair}
    wanted |= {i for chosen in baselines.values() for i in chosen.values()}
    points = {
        s.id: Point(s.followers, s.engagement, s.taken_at)
        for s in await StatsSnapshot.filter(id__in=list(wanted))
    }
    for cutoff, chosen in baselines.items():
        for account_id, (latest, oldest) in span.items():
            baseline = chosen.get(account_id, oldest)
            if baseline != latest:
                result[cutoff][account_id] = Ends(points[latest], points[baseline])
    return result


async def account_growths(
    keys: Sequence[tuple[int, GrowthWindow]], now: datetime
) -> list[Growth | None]:
    """The growth of each (account id, window), in key order."""
    cutoffs = {w: cutoff_of(w, now) for w in {w for _, w in keys}}
    ends = await account_ends([a for a, _ in keys], cutoffs.values())
    return [platform_growth(ends[cutoffs[w]].get(a), cutoffs[w]) for a, w in keys]


async def profile_growths(
    keys: Sequence[tuple[int, GrowthWindow]], now: datetime
) -> list[Growth | None]:
    """The growth of each (profile id, window), in key order: one query for the accounts, then
    ``account_ends``."""
    accounts = await SocialAccount.filter(profile_id__in=list({p for p, _ in keys})).values_list(
        "id", "profile_id"
    )
    by_profile: dict[int, list[int]] = {}
    for account_id, profile_id in accounts:
        by_profile.setdefault(profile_id, []).append(account_id)
    cutoffs = {w: cutoff_of(w, now) for w in {w for _, w in keys}}
    ends = await account_ends([a for a, _ in accounts], cutoffs.values())
    return [
        profile_growth((ends[cutoffs[w]].get(a) for a in by_profile.get(p, [])), cutoffs[w])
        for p, w in keys
    ]


async def recompute_growth_30d(profile: Profile, now: datetime) -> float | None:
    """Saves the profile's 30-day follower growth in percent, the value discovery filters and
    sorts by. Only the stats tail (``resolvers/stats_change.py``) calls it, beside the
    aggregates: every sync moves the latest value, and the daily job (``refresh_growth``) runs
    the tail for the profiles whose baseline has moved with time alone."""
    [growth] = await profile_growths([(profile.id, GrowthWindow.DAYS_30)], now)
    profile.growth_30d = None if growth is None else growth.followers_percent
    profile.growth_30d_at = now
    await profile.save(update_fields=["growth_30d", "growth_30d_at"])
    return profile.growth_30d
