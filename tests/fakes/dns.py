"""A resolver for the test server's address guard (adapters/ssrf.py): names the tests choose,
resolving to the addresses they choose, and nothing else (the machine may have no DNS at all)."""

from __future__ import annotations

import socket

# A public address (not one of the documentation ranges, which the guard rightly refuses).
PUBLIC_ADDRESS = "93.184.215.14"


class FakeDns:
    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}

    def add(self, name: str, *addresses: str) -> None:
        self.names[name.lower()] = list(addresses)

    async def resolve(self, host: str, port: int) -> list[str]:
        try:
            return self.names[host.lower()]
        except KeyError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
