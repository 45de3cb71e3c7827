"""`app.py serve` in a child process on loopback: for a server with other settings than the
session server's (Tortoise allows one ORM context per process) and for several instances."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, server_environment, uses_postgres, uses_redis

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ServerProcess:
    url: str
    process: asyncio.subprocess.Process
    log: Path


@contextlib.asynccontextmanager
async def served(env: dict[str, str], *, start_within: float = 30) -> AsyncIterator[ServerProcess]:
    """Starts ``app.py serve`` with ``env`` (plus HOST and a free PORT), waits until /health
    answers, and stops exactly that process afterwards."""
    port = free_port()
    full_env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
    # The log goes to a file, not a pipe: an unread pipe would fill up and stall the server.
    log = tempfile.NamedTemporaryFile(prefix="creatorgraph-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        "serve",
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    keep_log = True
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:
            async with asyncio.timeout(start_within):
                while True:
                    if process.returncode is not None:
                        raise RuntimeError(Path(log.name).read_text()[-3000:])  # noqa: ASYNC240
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/health")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
        yield ServerProcess(url, process, Path(log.name))
        keep_log = False
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
        if not keep_log:  # kept only when something failed
            with contextlib.suppress(FileNotFoundError):
                os.remove(log.name)


# The tests of several instances behind one PostgreSQL and one Redis: what crosses instances goes
# through those two, so without them there is nothing to test.
needs_postgres_and_redis = pytest.mark.skipif(
    not (uses_postgres() and uses_redis()), reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL"
)


@contextlib.asynccontextmanager
async def two_instances() -> AsyncIterator[list[ServerProcess]]:
    """Two `app.py serve` processes on the session server's database (already migrated)."""
    env = server_environment()
    async with served(env) as first, served(env) as second:
        yield [first, second]
