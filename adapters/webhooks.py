"""Sending one signed webhook request: Standard Webhooks signatures, the SSRF guard, timeouts.

The signature is the Standard Webhooks one (https://www.standardwebhooks.com): headers
``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64>``,
the HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed by the base64-decoded part of the secret
after ``whsec_``. A receiver verifies it with any Standard Webhooks library.

Every request goes through ``GuardedTransport`` (adapters/ssrf.py): the destination is resolved
and checked at each delivery and the connection pinned to the checked address. Redirects are not
followed at all — a 3xx answer is a failed attempt — so no hop can lead anywhere unchecked. The
response body is read up to a few KB and no further; one attempt takes at most ``total_seconds``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import httpx

from adapters.ssrf import AddressGuard, GuardedTransport

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 24
RESPONSE_READ_BYTES = 4096


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for this message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one attempt got: a status code (None when no response came), the time it took, and
    why it failed (None on a 2xx answer)."""

    status_code: int | None
    latency_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


class WebhookSender:
    """``allow_private`` is the tests' switch (WEBHOOK_ALLOW_PRIVATE, refused in production):
    plain http and loopback receivers. Other private addresses stay refused even then."""

    def __init__(
        self,
        guard: AddressGuard,
        *,
        allow_private: bool = False,
        connect_seconds: float = 3.0,
        total_seconds: float = 10.0,
    ) -> None:
        self.guard = guard
        self.allow_private = allow_private
        self.connect_seconds = connect_seconds
        self.total_seconds = total_seconds

    @property
    def schemes(self) -> frozenset[str]:
        return frozenset({"http", "https"}) if self.allow_private else frozenset({"https"})

    async def check(self, url: str) -> None:
        """Raises ``BlockedUrlError`` when ``url`` may not receive webhooks."""
        await self.guard.check(url, self.schemes, allow_loopback=self.allow_private)

    async def send(self, url: str, secret: str, message_id: str, body: bytes) -> SendResult:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "creatorgraph-webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body),
        }
        transport = GuardedTransport(
            self.guard, schemes=self.schemes, allow_loopback=self.allow_private
        )
        timeout = httpx.Timeout(self.total_seconds, connect=self.connect_seconds)
        started = time.monotonic()
        status: int | None = None
        try:
            async with (
                asyncio.timeout(self.total_seconds),
                httpx.AsyncClient(
                    transport=transport, timeout=timeout, follow_redirects=False
                ) as client,
                client.stream("POST", url, content=body, headers=headers) as response,
            ):
                status = response.status_code
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= RESPONSE_READ_BYTES:
                        break
        except TimeoutError:
            return SendResult(status, _since(started), "timed out")
        except httpx.TimeoutException:
            return SendResult(status, _since(started), "timed out")
        except httpx.HTTPError as exc:
            return SendResult(status, _since(started), str(exc)[:500] or type(exc).__name__)
        latency = _since(started)
        if 200 <= status < 300:
            return SendResult(status, latency, None)
        if 300 <= status < 400:
            return SendResult(status, latency, "redirects are not followed")
        return SendResult(status, latency, f"answered HTTP {status}")


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
