"""Logging for the whole process, configured once by ``app.py main()``: one line per record on
stderr, as text (development) or one JSON object per line (``LOG_FORMAT=json``, the production
default) for log collectors to parse.

Fields given with ``extra=`` (the access log's request id, operation, duration, …) become keys
of the JSON object, and ``key=value`` pairs after the message in text, so neither format loses
them. Uvicorn's loggers are left unconfigured by uvicorn (``log_config=None``) and flow through
the same handler; its access log is off in favour of ours (web/access_log.py).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from settings import Settings

# The attributes every LogRecord has; anything else on a record came from ``extra=``.
# uvicorn adds ``color_message`` (the message with terminal colour codes) to its records: the
# plain message already says it.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and v is not None}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **extra_fields(record),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = extra_fields(record)
        return line + "".join(f" {key}={value}" for key, value in fields.items())


def configure_logging(settings: Settings) -> None:
    # Neither format shows where a record was made, nor its thread or process: skip finding
    # them, as the logging HOWTO's "Optimization" section says to (an access line, written on
    # every request, cost 11.7 µs of CPU with them and 9.3 µs without).
    logging._srcfile = None  # documented there, though private
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
