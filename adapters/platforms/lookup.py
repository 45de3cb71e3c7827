"""One platform lookup: the shared cache in front of the platform's providers, tried in order.

A handle's answer — a profile, or a typed failure — is cached per platform and handle: profiles
for ``cache_seconds``, "not found" and "private" for the shorter ``negative_cache_seconds``, and
other failures for ``error_cache_seconds`` only, so that callers waiting on one upstream call all
get its answer without the failure outliving its cause. When a provider fails in a way that
says nothing about the account (quota, outage, bad credentials, a not-found it cannot vouch
for), the platform's next provider is asked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import orjson

from adapters.cache import Cache
from adapters.metrics import Metrics
from adapters.platforms.errors import (
    AccountNotFound,
    AccountPrivate,
    PlatformNotConfigured,
    ProviderError,
    ProviderUnavailable,
)
from adapters.platforms.provider import Provider
from adapters.platforms.types import Platform, PlatformProfile, ProviderName

log = logging.getLogger("creatorgraph.providers")


class PlatformLookup:
    def __init__(
        self,
        providers: Mapping[Platform, Sequence[Provider]],
        cache: Cache,
        *,
        cache_seconds: float = 300.0,
        negative_cache_seconds: float = 60.0,
        error_cache_seconds: float = 5.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.providers = {p: tuple(providers.get(p, ())) for p in Platform}
        self.cache = cache
        self.cache_seconds = cache_seconds
        self.negative_cache_seconds = negative_cache_seconds
        self.error_cache_seconds = error_cache_seconds
        self.metrics = metrics or Metrics()  # every provider call: platform, provider, outcome

    def provider_names(self, platform: Platform) -> tuple[ProviderName, ...]:
        # A provider with several keys is in the chain once per key, named once here.
        return tuple(dict.fromkeys(p.name for p in self.providers[platform]))

    def configured(self, platform: Platform) -> bool:
        return bool(self.providers[platform])

    async def lookup(
        self, platform: Platform, handle: str, *, refresh: bool = False
    ) -> PlatformProfile:
        """The profile of an already normalized ``handle``; raises ``ProviderError``."""
        if not self.configured(platform):
            raise PlatformNotConfigured(f"No data provider is configured for {platform.value}.")
        raw = await self.cache.get_or_load(
            cache_key(platform, handle), lambda: self._entry(platform, handle), refresh=refresh
        )
        return _decode(raw)

    async def cached(self, platform: Platform, handle: str) -> PlatformProfile | None:
        """The cached answer without asking anyone: a profile, None on a miss, or the cached
        failure raised (so callers can rate limit only what will reach a provider)."""
        raw = await self.cache.get(cache_key(platform, handle))
        return None if raw is None else _decode(raw)

    async def fetch(self, platform: Platform, handle: str) -> PlatformProfile:
        """Asks the platform's providers in order, bypassing the cache."""
        failures: list[ProviderError] = []
        label = platform.value.lower()
        for provider in self.providers[platform]:
            try:
                profile = await provider.fetch(handle)
            except ProviderError as error:
                self.metrics.provider_call(
                    platform.value, provider.name.value, error.kind.value.lower()
                )
                error.provider = error.provider or provider.name
                if error.about_the_account:
                    raise
                log.info("%s/%s: %r; trying the next provider", platform, provider.name, error)
                failures.append(error)
            except Exception:  # a bug in an adapter must not become a 500 for the user
                self.metrics.provider_call(label, provider.name.value, "error")
                log.exception("%s/%s failed unexpectedly on %r", platform, provider.name, handle)
                failures.append(
                    ProviderUnavailable(
                        "The provider's answer could not be read.", provider=provider.name
                    )
                )
            else:
                self.metrics.provider_call(label, provider.name.value, "ok")
                return profile
        if not failures:
            raise PlatformNotConfigured(f"No data provider is configured for {platform.value}.")
        return _raise_most_useful(failures)

    async def _entry(self, platform: Platform, handle: str) -> tuple[bytes, float]:
        try:
            profile = await self.fetch(platform, handle)
        except ProviderError as error:
            ttl = (
                self.negative_cache_seconds
                if isinstance(error, AccountNotFound | AccountPrivate)
                else self.error_cache_seconds
            )
            return orjson.dumps({"error": error.to_json()}), ttl
        return orjson.dumps({"profile": profile.to_json()}), self.cache_seconds


def cache_key(platform: Platform, handle: str) -> str:
    return f"platform:{platform.value}:{handle}"


def _raise_most_useful(failures: Sequence[ProviderError]) -> PlatformProfile:
    """Every provider failed: report the most preferred provider's failure, unless it was only an
    uncertain not-found while another provider had a real problem worth telling."""
    uncertain = [f for f in failures if isinstance(f, AccountNotFound)]
    problems = [f for f in failures if not isinstance(f, AccountNotFound)]
    raise (problems or uncertain)[0]


def _decode(raw: bytes) -> PlatformProfile:
    try:
        data = orjson.loads(raw)
        if "profile" in data:
            return PlatformProfile.from_json(data["profile"])
        error = ProviderError.from_json(data["error"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("unreadable cache entry: %r", exc)
        raise ProviderUnavailable("A cached answer could not be read.") from exc
    raise error
