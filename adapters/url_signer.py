"""HMAC-SHA256 signatures over URLs the server hands out, so ``/images/proxy`` fetches only
what this server chose to link (never what a visitor types in): it is not an open proxy."""

from __future__ import annotations

import base64
import hashlib
import hmac


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("a URL signer needs a secret")
        self._secret = secret

    def sign(self, url: str) -> str:
        digest = hmac.new(self._secret, url.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def verify(self, url: str, signature: str) -> bool:
        """Constant-time: the comparison takes as long wherever the first wrong byte is."""
        return hmac.compare_digest(self.sign(url).encode(), signature.encode("utf-8", "replace"))
