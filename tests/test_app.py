"""The process around the API: health, settings, migrations, starting up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, server_environment, uses_postgres
from tests.tcp_relay import TcpRelay

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_health_reports_the_database(http: httpx.AsyncClient):
    response = await http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_production_refuses_to_start_without_a_strong_secret():
    base = {"CREATORGRAPH_ENV": "production", "CREATORGRAPH_DATA_DIR": tempfile.mkdtemp()}
    missing = run(["app.py", "schema"], {**base, "JWT_SECRET": ""})
    assert missing.returncode != 0 and "JWT_SECRET is required" in missing.stderr
    weak = run(["app.py", "schema"], {**base, "JWT_SECRET": "short"})
    assert weak.returncode != 0 and "at least 32 bytes" in weak.stderr
    strong = run(["app.py", "schema"], {**base, "JWT_SECRET": "s" * 32})
    assert strong.returncode == 0, strong.stderr


def test_development_secret_is_generated_once_and_kept():
    data_dir = tempfile.mkdtemp()
    env = {"CREATORGRAPH_DATA_DIR": data_dir, "JWT_SECRET": "", "CREATORGRAPH_ENV": "development"}
    code = "from settings import Settings; print(Settings.from_env().jwt_secret)"
    first, second = run(["-c", code], env), run(["-c", code], env)
    assert first.returncode == 0, first.stderr
    assert "generated a development secret" in first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 32
    assert oct((Path(data_dir) / "jwt-secret").stat().st_mode & 0o777) == "0o600"


def test_migrate_command_applies_migrations_to_a_fresh_sqlite_file():
    path = Path(tempfile.mkdtemp()) / "fresh.sqlite3"
    env = {"DATABASE_URL": f"sqlite://{path}", "JWT_SECRET": "j" * 40}
    for _ in range(2):  # the second run finds nothing to do
        result = run(["app.py", "migrate"], env)
        assert result.returncode == 0, result.stderr
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = db.execute("SELECT COUNT(*) FROM tortoise_migrations").fetchone()[0]
    assert {"users", "profiles", "social_accounts", "stats_snapshots"} <= tables
    assert applied == len(list((ROOT / "migrations").glob("0*.py")))


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    import asyncpg

    base = os.environ["DATABASE_URL"]
    admin_dsn = "postgresql://" + base.split("://", 1)[1]
    name = f"cg_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.skipif(not uses_postgres(), reason="advisory locks are PostgreSQL's")
async def test_instances_starting_together_apply_each_migration_once():
    async with fresh_postgres_database() as url:
        env = {**os.environ, "DATABASE_URL": url, "JWT_SECRET": "j" * 40}
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "app.py",
                "migrate",
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(4)
        ]
        outputs = [await p.communicate() for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, outputs
        import asyncpg

        conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
        try:
            applied = await conn.fetchval("SELECT COUNT(*) FROM tortoise_migrations")
        finally:
            await conn.close()
        assert applied == len(list((ROOT / "migrations").glob("0*.py")))


@pytest.mark.skipif(not uses_postgres(), reason="needs a networked database to cut")
async def test_health_answers_503_when_the_database_is_unreachable():
    async with fresh_postgres_database() as url:
        pg_port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        relay = TcpRelay(pg_port)
        await relay.start()
        via_relay = url.replace(f":{pg_port}/", f":{relay.port}/")
        port = free_port()
        env = {**os.environ, **server_environment(DATABASE_URL=via_relay, PORT=str(port))}
        env.pop("REDIS_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "app.py",
            "serve",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                for _ in range(200):
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/health")).status_code == 200:
                            break
                    await asyncio.sleep(0.05)
                else:
                    pytest.fail("the server did not become healthy")
                await relay.cut()
                response = await client.get("/health")
                assert response.status_code == 503
                assert response.json() == {"status": "unavailable", "database": "unreachable"}
        finally:
            proc.terminate()
            await proc.wait()
