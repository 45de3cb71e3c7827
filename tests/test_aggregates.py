"""The aggregate formulas, pinned: each lives in resolvers/aggregates.py and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from resolvers.aggregates import average_engagement, rizz_score, total_followers

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_total_followers_is_the_sum():
    assert total_followers([1000, 15925, 7100]) == 24025
    assert total_followers([]) == 0


@pytest.mark.parametrize(
    ("engagements", "expected"),
    [
        ([7.5, 2.91, 2.66], 4.36),
        ([None, 0.0, 5.0], 5.0),
        ([], 0.0),
        ([None, 0.0], 0.0),
        ([1.005], 1.01),  # half-up on the decimal value, not the binary float below it
        ([0.004, 0.001], 0.0),
        ([100.0, 100.0], 100.0),
    ],
)
def test_average_engagement_counts_only_platforms_above_zero(engagements, expected):
    assert average_engagement(engagements) == expected


def test_rizz_score_of_the_seed_example():
    assert rizz_score(24025, 4.36, 2 / 6, NOW, NOW) == 52


def test_rizz_score_stays_within_0_and_100():
    assert rizz_score(0, 0.0, 0.0, None, NOW) == 0
    assert rizz_score(10**12, 100.0, 1.0, NOW, NOW) == 100


def test_bigger_audiences_score_higher_on_a_log_scale():
    scores = [rizz_score(n, 0.0, 0.0, None, NOW) for n in (0, 10**3, 10**5, 10**8)]
    assert scores == sorted(scores) and scores[-1] == 40
    assert scores[1] == 15  # 40 × log10(1001) / 8


def test_recency_is_full_for_a_week_then_fades_to_zero_at_90_days():
    def recency(days: float) -> int:
        return rizz_score(0, 0.0, 0.0, NOW - timedelta(days=days), NOW)

    assert recency(0) == recency(7) == 10
    assert 0 < recency(48) < 10
    assert recency(90) == recency(400) == 0
