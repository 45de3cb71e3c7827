"""Six-digit one-time codes and their keyed digests.

A code is stored only as HMAC-SHA256 under a server key, never in the clear. Not argon2: a
slow hash protects a secret that an attacker can guess offline, but a six-digit code has only
a million values — any hash of it falls to a leaked table in seconds unless the key is secret
too. With the key (held by the server, not the database) a leaked table reveals nothing, and
online guessing is what the attempt cap stops. HMAC also costs microseconds, so checking a code
adds no argon2 time that a flood of requests could buy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6


class CodeHasher:
    def __init__(self, secret: str) -> None:
        # A key of its own, derived from the signing secret, so a digest is useless as a token
        # signature and the other way round.
        self._key = hmac.new(secret.encode(), b"creatorgraph one-time codes", "sha256").digest()

    @staticmethod
    def new_code() -> str:
        return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"

    def digest(self, purpose: str, subject: str, code: str) -> str:
        """Bound to what the code is for and whom, so a code cannot be replayed elsewhere."""
        message = f"{purpose}\x00{subject}\x00{code}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def matches(self, digest: str, purpose: str, subject: str, code: str) -> bool:
        return hmac.compare_digest(digest, self.digest(purpose, subject, code))
