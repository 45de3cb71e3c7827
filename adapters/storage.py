"""Where uploaded files live: one small interface, a local directory by default.

Keys are relative paths made by the server (``avatars/<user>/<random>/512.webp``), never by a
client; ``url(key)`` is what the API hands out, under ``MEDIA_BASE_URL`` (``/media`` when this
app serves the directory itself, or a CDN in front of it).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Protocol

# What a key may look like: path segments of safe characters, no "..", no leading slash.
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key)) and ".." not in key


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, prefix: str) -> None:
        """Removes every object under ``prefix`` (a key followed by ``/``)."""
        ...

    def url(self, key: str) -> str: ...


class LocalStorage:
    """Files under one directory; ``web/media.py`` serves them. The content type follows from
    the extension, which the server chose, so it is not stored."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def delete(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.path(prefix.rstrip("/")), ignore_errors=True)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # readers see the whole file or none
