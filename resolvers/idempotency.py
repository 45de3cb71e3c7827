"""Idempotency keys, stored: claim a key for one write, keep the write's final response, hand
that response back to every retry, forget it after a day.

Stripe's semantics (https://docs.stripe.com/api/idempotent_requests): a key names one request
of one client. The same key with the same request gets the first response again; with another
request it is refused (``REUSED``); while the first is still running it is refused too
(``IN_USE``), and the client may retry. Which requests carry a key and which responses are final
is the HTTP edge's decision (web/idempotency.py); this module only stores.

The store is the database: every instance shares it, and the unique (scope, key) pair makes a
claim atomic on SQLite and PostgreSQL alike, so two instances can never both run one key. A
claim is bounded by ``locked_until``: a holder that crashed blocks retries only until then.
Kept bodies are sealed (AES-GCM) with a key derived from the server secret and the request
itself: they may carry access and refresh tokens, which the database otherwise holds only hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tortoise.exceptions import IntegrityError

from adapters.tokens import InvalidTokenError
from models import IdempotencyKey
from resolvers.auth import bearer_token
from resolvers.services import Services

_SCOPE_MAX = 64  # IdempotencyKey.scope
_NONCE_BYTES = 12
_CLAIM_ATTEMPTS = 3  # a row that expires or is released under us is retried, not looped on


def utcnow() -> datetime:
    """The clock every expiry here is measured by (tests move it)."""
    return datetime.now(UTC)


class KeyConflict(Enum):
    REUSED = "IDEMPOTENCY_KEY_REUSED"  # the key was first sent with another request
    IN_USE = "IDEMPOTENCY_KEY_IN_USE"  # the key's first request is still running


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class RequestPrint:
    """One client's key and what it was sent with. ``fingerprint`` tells retries from misuse;
    ``sealing_key`` opens the kept body, and can be rebuilt only from the request itself."""

    scope: str
    key: str
    fingerprint: str
    sealing_key: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to run a key's request, held by exactly one request at a time."""

    row_id: int
    token: str
    request: RequestPrint


def client_scope(services: Services, authorization: object, address: str) -> str:
    """Whose keys a request uses: the signed-in user's (``user:<id>``, the same from every device
    and address), else its client address's (``anonymous:<address>``, for accountRegister,
    tokenCreate, tokenRefresh). A key is looked up in its scope only, so no one is ever handed
    another user's response. The token is only decoded here; the operation itself still
    authenticates the request, and a refused one is not kept."""
    token = bearer_token(authorization)
    if token is not None:
        try:
            return f"user:{services.tokens.decode(token, 'access').user_id}"
        except InvalidTokenError:
            pass
    scope = f"anonymous:{address}"
    if len(scope) > _SCOPE_MAX:
        scope = f"anonymous:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    return scope


def request_print(secret: str, scope: str, key: str, request: bytes) -> RequestPrint:
    """``request`` is the request in a canonical form (method, path and body). Both digests are
    keyed by the server secret, so the stored fingerprint cannot be used to guess a body."""
    mac_key = secret.encode()
    fingerprint = hmac.new(mac_key, b"fingerprint\0" + request, hashlib.sha256).hexdigest()
    sealing_key = hmac.new(
        mac_key, b"seal\0" + _identity(scope, key) + b"\0" + request, hashlib.sha256
    ).digest()
    return RequestPrint(scope, key, fingerprint, sealing_key)


async def claim_key(
    request: RequestPrint, *, keep_seconds: int, lock_seconds: int
) -> Claim | StoredResponse | KeyConflict:
    """Claims the key for ``request``, or answers why not: the kept response of an earlier
    identical request, or a conflict. An expired key is deleted and claimed afresh; a claim
    whose holder overran ``lock_seconds`` (crashed, most likely) is taken over."""
    now = utcnow()
    for _ in range(_CLAIM_ATTEMPTS):
        token = secrets.token_hex(16)
        try:
            row = await IdempotencyKey.create(
                scope=request.scope,
                key=request.key,
                fingerprint=request.fingerprint,
                claim=token,
                locked_until=now + timedelta(seconds=lock_seconds),
                expires_at=now + timedelta(seconds=keep_seconds),
            )
            return Claim(row.id, token, request)
        except IntegrityError:
            pass  # the key exists: see what it holds
        found = await IdempotencyKey.get_or_none(scope=request.scope, key=request.key)
        if found is None:
            continue  # released or cleaned up meanwhile
        if found.expires_at <= now:
            await IdempotencyKey.filter(id=found.id, expires_at__lte=now).delete()
            continue
        if not hmac.compare_digest(found.fingerprint, request.fingerprint):
            return KeyConflict.REUSED
        if found.status is not None:
            headers = [(str(name), str(value)) for name, value in found.headers or []]
            return StoredResponse(found.status, headers, _unseal(bytes(found.body or b""), request))
        if found.locked_until > now:
            return KeyConflict.IN_USE
        taken = await IdempotencyKey.filter(id=found.id, claim=found.claim, status=None).update(
            claim=token, locked_until=now + timedelta(seconds=lock_seconds)
        )
        return Claim(found.id, token, request) if taken else KeyConflict.IN_USE
    return KeyConflict.IN_USE


async def keep_response(claim: Claim, response: StoredResponse) -> bool:
    """Stores the final response under the claimed key. False when the claim was lost (its
    request overran the lock time and a retry took over): the retry's response is kept then."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + AESGCM(claim.request.sealing_key).encrypt(
        nonce, response.body, _identity(claim.request.scope, claim.request.key)
    )
    kept = await IdempotencyKey.filter(id=claim.row_id, claim=claim.token, status=None).update(
        status=response.status,
        headers=[list(pair) for pair in response.headers],
        body=sealed,
        locked_until=utcnow(),
    )
    return kept == 1


async def release_key(claim: Claim) -> None:
    """Gives the key up without a response, so a retry runs the request again."""
    await IdempotencyKey.filter(id=claim.row_id, claim=claim.token, status=None).delete()


async def delete_expired_keys() -> int:
    """Deletes every key older than its keep time; returns how many. Expired keys are also
    replaced when next used, so this only bounds the table (for a periodic clean-up job)."""
    return await IdempotencyKey.filter(expires_at__lte=utcnow()).delete()


def _unseal(sealed: bytes, request: RequestPrint) -> bytes:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(request.sealing_key).decrypt(
        nonce, ciphertext, _identity(request.scope, request.key)
    )


def _identity(scope: str, key: str) -> bytes:
    return scope.encode() + b"\0" + key.encode()
