"""Every setting, read once from the environment into one typed, immutable object.

Development defaults are safe to run on a laptop (a SQLite file and a signing secret kept under
``./data/``). Production mode (``CREATORGRAPH_ENV=production``) refuses to start with a secret
weaker than 32 bytes and turns GraphiQL and introspection off unless they are asked for.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("creatorgraph.settings")

DATA_DIR = Path(os.environ.get("CREATORGRAPH_DATA_DIR", "data"))
MIN_SECRET_BYTES = 32


class SettingsError(RuntimeError):
    """The environment describes a configuration the server must not start with."""


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    host: str
    port: int
    database_url: str
    redis_url: str | None
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    access_token_seconds: int
    refresh_token_seconds: int
    sync_rate_limit: str
    graphiql: bool
    introspection: bool
    password_hash_memory_kib: int
    max_body_bytes: int
    max_query_depth: int
    max_aliases: int
    max_tokens: int

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        environment = env.get("CREATORGRAPH_ENV", "development").strip().lower()
        if environment not in {"development", "production", "test"}:
            raise SettingsError(
                f"CREATORGRAPH_ENV must be development, production or test, not {environment!r}"
            )
        production = environment == "production"
        return cls(
            environment=environment,
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8000),
            database_url=database_url(env),
            redis_url=env.get("REDIS_URL") or None,
            jwt_secret=_jwt_secret(env, production),
            jwt_issuer=env.get("JWT_ISSUER", "creatorgraph"),
            jwt_audience=env.get("JWT_AUDIENCE", "creatorgraph-api"),
            access_token_seconds=_int(env, "ACCESS_TOKEN_SECONDS", 15 * 60),
            refresh_token_seconds=_int(env, "REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
            sync_rate_limit=env.get("SYNC_RATE_LIMIT", "10/minute"),
            graphiql=_bool(env, "GRAPHIQL", not production),
            introspection=_bool(env, "INTROSPECTION", not production),
            password_hash_memory_kib=_int(env, "PASSWORD_HASH_MEMORY_KIB", 65536),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 256 * 1024),
            max_query_depth=_int(env, "MAX_QUERY_DEPTH", 12),
            max_aliases=_int(env, "MAX_ALIASES", 30),
            max_tokens=_int(env, "MAX_TOKENS", 3000),
        )


def database_url(env: Mapping[str, str]) -> str:
    return env.get("DATABASE_URL") or f"sqlite://{DATA_DIR / 'creatorgraph.sqlite3'}"


def __getattr__(name: str) -> object:
    """``settings.TORTOISE_ORM`` for Tortoise's own CLI (``python -m tortoise -c
    settings.TORTOISE_ORM makemigrations``), computed on access rather than at import."""
    if name == "TORTOISE_ORM":
        return tortoise_config(database_url(os.environ))
    raise AttributeError(name)


def tortoise_config(database_url: str) -> dict[str, object]:
    """The one Tortoise configuration: the server, the migration command and the tests use it."""
    url = database_url
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    return {
        "connections": {"default": url},
        "apps": {
            "models": {
                "models": ["models"],
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _jwt_secret(env: Mapping[str, str], production: bool) -> str:
    secret = env.get("JWT_SECRET", "")
    if secret:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            if production:
                raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
            log.warning(
                "JWT_SECRET is shorter than %d bytes; fine for development only", MIN_SECRET_BYTES
            )
        return secret
    if production:
        raise SettingsError(
            f"JWT_SECRET is required in production (at least {MIN_SECRET_BYTES} "
            "bytes, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    path = DATA_DIR / "jwt-secret"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
        log.warning(
            "No JWT_SECRET set: generated a development secret in %s. "
            "Set JWT_SECRET in production.",
            path,
        )
    return path.read_text().strip()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")
