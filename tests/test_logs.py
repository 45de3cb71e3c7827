"""Logs an operator can use: one access line per request with who, what and how it ended; a
client's mistake at INFO without a traceback; a bug once, at ERROR, with its request id; JSON
lines with ``LOG_FORMAT=json``."""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from resolvers import profile_reads as profile_ops
from schema.node import encode_id
from settings import Settings, SettingsError
from tests.conftest import Account, server_environment, uses_postgres
from tests.server_process import served
from web.logs import JsonFormatter, TextFormatter


def request_id() -> str:
    return "test-" + uuid.uuid4().hex


async def post(
    http: httpx.AsyncClient, query: str, rid: str, token: str | None = None
) -> httpx.Response:
    headers = {"X-Request-ID": rid}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", json={"query": query}, headers=headers)


def of_request(caplog: pytest.LogCaptureFixture, rid: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "request_id", None) == rid]


async def test_one_access_line_per_request_carries_who_what_and_how_it_ended(
    http: httpx.AsyncClient, account: Account, caplog: pytest.LogCaptureFixture
):
    rid = request_id()
    with caplog.at_level(logging.INFO):
        response = await post(http, "query Mine { viewer { email } }", rid, account.access_token)
    assert response.status_code == 200 and "errors" not in response.json()
    (line,) = of_request(caplog, rid)
    assert line.name == "creatorgraph.access" and line.levelno == logging.INFO
    entry = json.loads(JsonFormatter().format(line))
    assert entry["level"] == "INFO" and entry["logger"] == "creatorgraph.access"
    assert entry["time"].endswith("+00:00") and entry["message"].startswith("POST /graphql 200")
    assert entry["request_id"] == rid and entry["operation"] == "Mine"
    assert entry["operation_type"] == "query" and entry["outcome"] == "ok"
    assert entry["client_address"] == "127.0.0.1" and entry["status"] == 200
    assert isinstance(entry["user_id"], int) and isinstance(entry["cost"], int)
    assert entry["duration_ms"] >= 0


async def test_an_unauthenticated_request_logs_one_info_line_and_no_traceback(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
):
    rid = request_id()
    with caplog.at_level(logging.DEBUG):
        response = await post(http, "query Who { viewer { id } }", rid, "not-a-token")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r for r in caplog.records if r.exc_info] == []
    (line,) = of_request(caplog, rid)
    assert line.levelno == logging.INFO and line.outcome == "client_error"


async def test_a_bug_is_logged_once_at_error_with_its_request_id_and_traceback(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    async def broken(*args: object) -> None:
        raise RuntimeError("the database password is hunter2")

    monkeypatch.setattr(profile_ops, "visible_profile", broken)
    rid = request_id()
    with caplog.at_level(logging.INFO):
        response = await post(http, f'{{ node(id: "{encode_id("Profile", 1)}") {{ id }} }}', rid)
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": rid}
    (bug,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert bug.request_id == rid and rid in bug.getMessage()
    assert bug.exc_info is not None and "hunter2" in str(bug.exc_info[1])
    access = [r for r in of_request(caplog, rid) if r.name == "creatorgraph.access"]
    assert len(access) == 1 and access[0].outcome == "server_error"


async def test_the_server_writes_json_lines_with_log_format_json():
    env = server_environment(LOG_FORMAT="json")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'logs.sqlite3'}"
    rid = request_id()
    async with served(env) as process:
        async with httpx.AsyncClient(base_url=process.url, timeout=10) as http:
            assert (await post(http, "query Probe { __typename }", rid)).status_code == 200
        process.process.terminate()
        await process.process.wait()
        lines = process.log.read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    assert entries and all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    (access,) = [e for e in entries if e.get("request_id") == rid]
    assert access["operation"] == "Probe" and access["outcome"] == "ok"
    assert access["logger"] == "creatorgraph.access"
    assert not any(e["logger"] == "uvicorn.access" for e in entries)  # ours replaces it


def test_text_lines_keep_the_extra_fields():
    record = logging.makeLogRecord(
        {
            "name": "creatorgraph.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "POST /graphql 200",
            "request_id": "abc",
            "outcome": "ok",
            "user_id": None,
        }
    )
    line = TextFormatter().format(record)
    assert line.endswith("POST /graphql 200 request_id=abc outcome=ok")


def test_uvicorns_coloured_copy_of_the_message_is_left_out():
    record = logging.makeLogRecord(
        {
            "name": "uvicorn.error",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "Uvicorn running on http://127.0.0.1:8000",
            "color_message": "Uvicorn running on \x1b[1mhttp://127.0.0.1:8000\x1b[0m",
        }
    )
    assert TextFormatter().format(record).endswith("Uvicorn running on http://127.0.0.1:8000")


def test_log_format_is_text_in_development_json_in_production_and_checked():
    assert (
        Settings.from_env(server_environment(CREATORGRAPH_ENV="development")).log_format == "text"
    )
    production = server_environment(CREATORGRAPH_ENV="production")
    assert Settings.from_env(production).log_format == "json"
    with pytest.raises(SettingsError):
        Settings.from_env(server_environment(LOG_FORMAT="xml"))
