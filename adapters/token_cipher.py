"""OAuth tokens at rest: AES-256-GCM under rotating keys.

A stored token reads ``<key id>:<base64url(nonce || ciphertext+tag)>``: the id names the key
that sealed it, so keys can rotate (the first of ``TOKEN_KEYS`` seals, every one opens). The
nonce is 96 random bits per seal. The associated data is the owning row's identity
(``SocialAccount:<id>:<platform>:access``), so a ciphertext copied to another row or slot does
not open there.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class TokenCipherError(Exception):
    """A stored token that cannot be opened: unknown key id, tampered or moved ciphertext."""


class TokenCipher:
    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("TokenCipher needs at least one key")
        self._current = keys[0][0]
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, plaintext: str, associated_data: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(
            nonce, plaintext.encode(), associated_data.encode()
        )
        return f"{self._current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, associated_data: str) -> str:
        key_id, _, encoded = stored.partition(":")
        aead = self._keys.get(key_id)
        if aead is None:
            raise TokenCipherError(f"no key {key_id!r} in TOKEN_KEYS")
        try:
            raw = base64.urlsafe_b64decode(encoded)
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode())
        except (InvalidTag, ValueError) as exc:
            raise TokenCipherError("a stored token failed authentication") from exc
        return plain.decode()

    def sealed_with_current(self, stored: str) -> bool:
        return stored.partition(":")[0] == self._current
