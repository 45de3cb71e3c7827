"""``profileMatches``: creators for a brand, brands for a creator, each with a fit score.

``fit(brand, creator)`` is the one formula, the same in both directions: how well a creator
fits a brand's preferences, 0–100. Each preference the brand stated earns points:

- AUDIENCE_SIZE (30): the creator's total followers inside the brand's range earn all 30;
  outside it, 30 × (followers / min) below the range or (max / followers) above it.
- NICHES (25): 25 × the share of the brand's niches the creator also has.
- LOCATION (20): all 20 when the creator's city or country is one of the brand's locations
  (ignoring case), else 0.
- COLLABORATION_TYPES (10): all 10 when the creator accepts any of the kinds the brand seeks
  (a creator who lists none accepts any), else 0.
- ENGAGEMENT (15), always counted: 15 × min(1, the creator's average engagement / 10%).

The score is 100 × the points earned / the points of the preferences counted, rounded half-up.
A brand that states none of the first four has no preferences to match: the answer is an empty
list and a hint, not an error. Candidates are the public, active profiles of unsuspended users
of the other role that meet at least one stated preference in the database (shared niche,
location, audience range), at most ``CANDIDATES_MAX`` of them by rizz score; they are ranked by
score, then id, and paged by a keyset on the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from models import Profile, Role
from resolvers.cursors import pack_cursor, page_size, unpack_cursor
from resolvers.discovery import listed_profiles
from resolvers.errors import ErrorCode, OperationError

CANDIDATES_MAX = 1000
ENGAGEMENT_FULL = 10.0
CURSOR_KIND = "match"


class MatchPreference(StrEnum):
    AUDIENCE_SIZE = "AUDIENCE_SIZE"
    NICHES = "NICHES"
    LOCATION = "LOCATION"
    COLLABORATION_TYPES = "COLLABORATION_TYPES"
    ENGAGEMENT = "ENGAGEMENT"


WEIGHTS = {
    MatchPreference.AUDIENCE_SIZE: 30,
    MatchPreference.NICHES: 25,
    MatchPreference.LOCATION: 20,
    MatchPreference.COLLABORATION_TYPES: 10,
    MatchPreference.ENGAGEMENT: 15,
}


@dataclass(frozen=True, slots=True)
class MatchReason:
    """One preference counted in a score: the points it earned of the points it could."""

    preference: MatchPreference
    points: float
    max_points: int
    detail: str


@dataclass(frozen=True, slots=True)
class Fit:
    score: int
    reasons: list[MatchReason]


@dataclass(frozen=True, slots=True)
class Match:
    profile: Profile
    fit: Fit


@dataclass(frozen=True, slots=True)
class MatchPage:
    matches: list[Match]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    hint: str | None


def stated_preferences(brand: Profile) -> dict[str, Any]:
    """The brand's preferences that say something, by name (empty when it stated none)."""
    prefs = brand.preferences or {}
    stated: dict[str, Any] = {}
    size = prefs.get("audienceSize") or {}
    if size.get("min") is not None or size.get("max") is not None:
        stated["audienceSize"] = size
    if brand.niches:
        stated["niches"] = list(brand.niches)
    if prefs.get("locations"):
        stated["locations"] = list(prefs["locations"])
    if prefs.get("collaborationTypes"):
        stated["collaborationTypes"] = list(prefs["collaborationTypes"])
    return stated


def fit(brand: Profile, creator: Profile) -> Fit:
    """The creator's fit with the brand's preferences (the module's docstring states it)."""
    stated = stated_preferences(brand)
    reasons: list[MatchReason] = []
    if "audienceSize" in stated:
        reasons.append(_audience(stated["audienceSize"], creator.total_followers))
    if "niches" in stated:
        reasons.append(_niches(stated["niches"], creator.niches or []))
    if "locations" in stated:
        reasons.append(_location(stated["locations"], creator))
    if "collaborationTypes" in stated:
        accepted = (creator.preferences or {}).get("collaborationTypes") or []
        reasons.append(_collaboration(stated["collaborationTypes"], accepted))
    share = min(1.0, max(creator.avg_engagement, 0.0) / ENGAGEMENT_FULL)
    weight = WEIGHTS[MatchPreference.ENGAGEMENT]
    detail = f"{creator.avg_engagement:g}% average engagement"
    reasons.append(MatchReason(MatchPreference.ENGAGEMENT, weight * share, weight, detail))
    earned = sum(r.points for r in reasons)
    possible = sum(r.max_points for r in reasons)
    score = Decimal(str(100 * earned / possible)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Fit(int(score), reasons)


def _audience(size: dict[str, Any], followers: int) -> MatchReason:
    weight = WEIGHTS[MatchPreference.AUDIENCE_SIZE]
    low, high = size.get("min"), size.get("max")
    if low is not None and followers < low:
        share = followers / low if low else 0.0
        detail = f"{followers} followers, below the {low} sought"
    elif high is not None and followers > high:
        share = high / followers
        detail = f"{followers} followers, above the {high} sought"
    else:
        share = 1.0
        detail = f"{followers} followers, within the range sought"
    return MatchReason(MatchPreference.AUDIENCE_SIZE, weight * share, weight, detail)


def _niches(wanted: Sequence[str], has: Sequence[str]) -> MatchReason:
    weight = WEIGHTS[MatchPreference.NICHES]
    shared = [n for n in wanted if n in set(has)]
    detail = f"shares {len(shared)} of {len(wanted)} niches" + (
        f": {', '.join(shared)}" if shared else ""
    )
    return MatchReason(MatchPreference.NICHES, weight * len(shared) / len(wanted), weight, detail)


def _location(places: Sequence[str], creator: Profile) -> MatchReason:
    weight = WEIGHTS[MatchPreference.LOCATION]
    sought = {p.casefold() for p in places}
    found = next((p for p in (creator.city, creator.country) if p and p.casefold() in sought), None)
    detail = f"in {found}" if found else "in none of the locations sought"
    return MatchReason(MatchPreference.LOCATION, weight if found else 0, weight, detail)


def _collaboration(sought: Sequence[str], accepted: Sequence[str]) -> MatchReason:
    weight = WEIGHTS[MatchPreference.COLLABORATION_TYPES]
    if not accepted:
        return MatchReason(
            MatchPreference.COLLABORATION_TYPES, weight, weight, "accepts any collaboration"
        )
    shared = [t for t in sought if t in set(accepted)]
    detail = f"accepts {', '.join(shared)}" if shared else "accepts none of the kinds sought"
    points = weight if shared else 0
    return MatchReason(MatchPreference.COLLABORATION_TYPES, points, weight, detail)


NO_PREFERENCES_HINT = (
    "Set your niches, or preferences (audience size, locations, collaboration types), "
    "to see matching creators."
)
NO_PROFILE_DATA_HINT = "Add niches or a location to your profile to see brands you fit."
OTHER_ROLE_HINT = "Matches are for creators and brands."


async def profile_matches(viewer: Profile, first: int | None, after: str | None) -> MatchPage:
    """The viewer's matches, best first: creators for a brand, brands for a creator."""
    size = page_size(first)
    position = _position(after)
    if viewer.role == Role.BRAND.value:
        stated = stated_preferences(viewer)
        if not stated:
            return _empty(NO_PREFERENCES_HINT)
        candidates = await _candidates(Role.CREATOR, _creator_conditions(viewer, stated))
        scored = [Match(c, fit(viewer, c)) for c in candidates]
    elif viewer.role == Role.CREATOR.value:
        if not viewer.niches and not (viewer.city or viewer.country):
            return _empty(NO_PROFILE_DATA_HINT)
        candidates = await _candidates(Role.BRAND, _brand_conditions(viewer))
        scored = [Match(b, fit(b, viewer)) for b in candidates if stated_preferences(b)]
    else:
        return _empty(OTHER_ROLE_HINT)
    scored.sort(key=lambda m: (m.fit.score, m.profile.id), reverse=True)
    if position is not None:
        scored = [m for m in scored if (m.fit.score, m.profile.id) < position]
    page = scored[:size]
    return MatchPage(
        matches=page,
        cursors=[pack_cursor([CURSOR_KIND, m.fit.score, m.profile.id]) for m in page],
        has_next_page=len(scored) > size,
        has_previous_page=position is not None,
        hint=None,
    )


def _empty(hint: str) -> MatchPage:
    return MatchPage([], [], has_next_page=False, has_previous_page=False, hint=hint)


def _position(after: str | None) -> tuple[int, int] | None:
    if after is None:
        return None
    raw = unpack_cursor(after)
    if (
        raw is None
        or len(raw) != 3
        or raw[0] != CURSOR_KIND
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw[1:])
    ):
        raise OperationError.single(("after",), "The cursor is invalid.", ErrorCode.INVALID)
    return int(raw[1]), int(raw[2])  # type: ignore[call-overload]  # checked as ints above


def _niche_overlap(niches: Sequence[str]) -> Q | None:
    if not niches:
        return None
    return Q(*[Q(niche_tags__contains=f"|{n}|") for n in niches], join_type="OR")


def _creator_conditions(brand: Profile, stated: dict[str, Any]) -> Q:
    """Creators meeting at least one of the brand's stated preferences, in SQL."""
    parts: list[Q] = []
    size = stated.get("audienceSize")
    if size is not None:
        within = Q()
        if size.get("min") is not None:
            within &= Q(total_followers__gte=size["min"])
        if size.get("max") is not None:
            within &= Q(total_followers__lte=size["max"])
        parts.append(within)
    overlap = _niche_overlap(stated.get("niches", []))
    if overlap is not None:
        parts.append(overlap)
    for place in stated.get("locations", []):
        parts.append(Q(city__iexact=place) | Q(country__iexact=place))
    if not parts:  # only collaboration types: every creator may accept them
        return Q()
    return Q(*parts, join_type="OR")


def _brand_conditions(creator: Profile) -> Q:
    """Brands sharing a niche with the creator, or all brands when the creator has none."""
    overlap = _niche_overlap(creator.niches or [])
    return overlap if overlap is not None else Q()


async def _candidates(role: Role, condition: Q) -> list[Profile]:
    query = listed_profiles().filter(condition, role=role.value)
    return await query.order_by("-rizz_score", "-id").limit(CANDIDATES_MAX)
