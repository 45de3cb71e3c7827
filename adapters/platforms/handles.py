"""Turns what a user types — ``name``, ``@name`` or a profile URL — into the platform's handle,
and refuses what cannot be a handle there before any network call (a malformed handle would
otherwise cost a provider request and come back as a confusing "not found").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.platforms.types import Platform

INPUT_MAX = 300


class InvalidHandle(ValueError):
    """The input cannot be a handle on that platform; ``str(error)`` is a sentence for the user."""


@dataclass(frozen=True, slots=True)
class HandleRule:
    label: str
    hosts: frozenset[str]
    pattern: re.Pattern[str]
    min_length: int
    max_length: int
    allowed: str  # the characters, in words, for the error message
    at_in_url: bool  # whether profile URLs spell the handle "@name"
    reserved: frozenset[str] = frozenset()


_RULES: dict[Platform, HandleRule] = {
    Platform.TIKTOK: HandleRule(
        "TikTok",
        frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com"}),
        re.compile(r"[a-z0-9_.]+"),
        2,
        24,
        "letters, numbers, underscores and periods, not ending with a period",
        at_in_url=True,
    ),
    Platform.INSTAGRAM: HandleRule(
        "Instagram",
        frozenset({"instagram.com", "www.instagram.com", "m.instagram.com"}),
        re.compile(r"[a-z0-9_.]+"),
        1,
        30,
        "letters, numbers, underscores and periods (not first, last or twice in a row)",
        at_in_url=False,
        reserved=frozenset({"p", "reel", "reels", "explore", "stories", "accounts", "direct"}),
    ),
    Platform.YOUTUBE: HandleRule(
        "YouTube",
        frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"}),
        re.compile(r"[a-z0-9_.\-]+"),
        3,
        30,
        "letters, numbers, underscores, hyphens and periods",
        at_in_url=True,
    ),
    Platform.TWITCH: HandleRule(
        "Twitch",
        frozenset({"twitch.tv", "www.twitch.tv", "m.twitch.tv"}),
        re.compile(r"[a-z0-9][a-z0-9_]*"),
        4,
        25,
        "letters, numbers and underscores, not starting with an underscore",
        at_in_url=False,
        reserved=frozenset({"directory", "videos", "settings", "search", "downloads"}),
    ),
    Platform.TWITTER: HandleRule(
        "X",
        frozenset({"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"}),
        re.compile(r"[a-z0-9_]+"),
        1,
        15,
        "letters, numbers and underscores",
        at_in_url=False,
        reserved=frozenset({"home", "i", "explore", "search", "settings", "messages", "intent"}),
    ),
}

_ALL_HOSTS = {host: platform for platform, rule in _RULES.items() for host in rule.hosts}


def normalize_handle(platform: Platform, raw: str) -> str:
    """The canonical (lowercase, no ``@``) handle, or ``InvalidHandle`` with a reason."""
    rule = _RULES[platform]
    text = raw.strip()
    if not text:
        raise InvalidHandle(f"Enter {_a(rule.label)} handle or profile URL.")
    if len(text) > INPUT_MAX:
        raise InvalidHandle(f"That is too long to be {_a(rule.label)} handle or profile URL.")
    candidate = _from_url(platform, rule, text) if _looks_like_url(text) else text
    candidate = candidate.removeprefix("@").lower()
    _check(platform, rule, candidate)
    return candidate


def _looks_like_url(text: str) -> bool:
    if "://" in text:
        return True
    host = text.split("/", 1)[0].lower()
    return "/" in text and host in _ALL_HOSTS


def _from_url(platform: Platform, rule: HandleRule, text: str) -> str:
    parts = urlsplit(text if "://" in text else "https://" + text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or host not in rule.hosts:
        other = _ALL_HOSTS.get(host)
        if other is not None and other is not platform:
            raise InvalidHandle(
                f"That is {_a(_RULES[other].label)} link; enter {_a(rule.label)} handle or URL."
            )
        raise InvalidHandle(f"That is not {_a(rule.label)} profile URL.")
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise InvalidHandle(f"That {rule.label} URL does not name a profile.")
    first = segments[0]
    if rule.at_in_url and not first.startswith("@"):
        raise InvalidHandle(
            f"That {rule.label} URL does not name a profile; use one like "
            f"https://{sorted(rule.hosts)[-1]}/@name."
        )
    if first.lower() in rule.reserved:
        raise InvalidHandle(f"That {rule.label} URL does not name a profile.")
    return first


def _check(platform: Platform, rule: HandleRule, handle: str) -> None:
    if not rule.min_length <= len(handle) <= rule.max_length:
        raise InvalidHandle(
            f"{_a(rule.label, True)} handle has {rule.min_length} to {rule.max_length} characters."
        )
    if not rule.pattern.fullmatch(handle) or handle in rule.reserved:
        raise InvalidHandle(f"{_a(rule.label, True)} handle uses only {rule.allowed}.")
    if platform is Platform.TIKTOK and handle.endswith("."):
        raise InvalidHandle(f"{_a(rule.label, True)} handle uses only {rule.allowed}.")
    if platform is Platform.INSTAGRAM and (
        handle.startswith(".") or handle.endswith(".") or ".." in handle
    ):
        raise InvalidHandle(f"{_a(rule.label, True)} handle uses only {rule.allowed}.")


def _a(label: str, capital: bool = False) -> str:
    article = "an" if label[0] in "AEIOUX" else "a"  # "an X handle"
    return f"{article.capitalize() if capital else article} {label}"
