"""The checked-in artifacts match the code: the exported SDL and the migrations."""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
from pathlib import Path

from schema import build_schema
from settings import Settings
from tests.conftest import server_environment

ROOT = Path(__file__).resolve().parent.parent

MIGRATIONS_UP_TO_DATE = """
import asyncio, sys
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from settings import tortoise_config

async def main():
    config = tortoise_config(sys.argv[1])
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    print(len(writers))

asyncio.run(main())
"""


def test_schema_graphql_matches_the_code():
    sdl = build_schema(Settings.from_env(server_environment())).as_str()
    checked_in = (ROOT / "schema.graphql").read_text()
    assert checked_in.strip() == sdl.strip(), (
        "schema.graphql is stale: run `.venv/bin/python app.py schema > schema.graphql`"
    )


def test_migrations_cover_every_model_change():
    url = f"sqlite://{tempfile.mkdtemp()}/autodetect.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", MIGRATIONS_UP_TO_DATE, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0", (
        "models changed without a migration: run `.venv/bin/python app.py makemigrations`"
    )


def test_every_column_a_migration_adds_to_an_existing_table_can_fill_its_rows():
    """Adding a NOT NULL column to a table that already has rows fails unless the database
    itself has a default for it (Tortoise's ``default`` lives in Python only): upgrading a
    populated deployment would stop at that migration. Found when a test database upgraded
    from 0010 refused 0011."""
    offenders = []
    for path in sorted((Path(__file__).parent.parent / "migrations").glob("0*.py")):
        tree = ast.parse(path.read_text())
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "AddField"):
                continue
            field = next((k.value for k in call.keywords if k.arg == "field"), None)
            if not isinstance(field, ast.Call):
                continue
            given = {k.arg: k.value for k in field.keywords}
            nullable = isinstance(given.get("null"), ast.Constant) and given["null"].value is True
            if not nullable and "db_default" not in given:
                offenders.append(f"{path.name}: {ast.unparse(call)[:120]}")
    assert not offenders, offenders
