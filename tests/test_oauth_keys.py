"""The token keys from the command line: generated for development, and rotated by
``python app.py rotate-token-keys`` (a process of its own, as an operator runs it)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OAUTH = {
    "YOUTUBE_CLIENT_ID": "id",
    "YOUTUBE_CLIENT_SECRET": "secret",
    "OAUTH_REDIRECT_BASE_URL": "http://localhost:8000",
    "JWT_SECRET": "j" * 40,
    "TOKEN_KEYS": "",
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_development_token_key_is_generated_once_and_kept() -> None:
    data_dir = tempfile.mkdtemp()
    env = {**OAUTH, "CREATORGRAPH_DATA_DIR": data_dir, "CREATORGRAPH_ENV": "development"}
    code = "from settings import Settings; print(Settings.from_env().oauth.token_keys[0][0])"
    first, second = run(["-c", code], env), run(["-c", code], env)
    assert first.returncode == 0, first.stderr
    assert "generated a development token key" in first.stderr
    assert first.stdout == second.stdout == "dev\n"
    key_file = Path(data_dir) / "token-keys"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert len(base64.b64decode(key_file.read_text().split(":", 1)[1])) == 32


def test_rotate_token_keys_command_runs_against_a_database() -> None:
    directory = Path(tempfile.mkdtemp())
    key = base64.b64encode(os.urandom(32)).decode()
    env = {
        **OAUTH,
        "CREATORGRAPH_DATA_DIR": str(directory),
        "DATABASE_URL": f"sqlite://{directory / 'db.sqlite3'}",
        "TOKEN_KEYS": f"new:{key}",
    }
    result = run(["app.py", "rotate-token-keys"], env)
    assert result.returncode == 0, result.stderr
    assert "re-sealed the tokens of 0 OAuth connection(s) under key 'new'" in result.stderr
