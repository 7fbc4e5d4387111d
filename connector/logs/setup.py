"""Logging set-up: one line per event to stderr, every line passed through the redactor.

The redacting filter sits on the handler, so lines from third-party loggers (urllib3 logs URLs,
authlib logs token requests) are redacted too. Both formats (text and JSON) take the message and
the traceback from one function, `redacted_parts`, so no format can show a traceback the
redactor has not seen (the JSON format once re-formatted ``exc_info`` itself and skipped it).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from connector.logs.redact import RedactingFilter, redact


def redacted_parts(record: logging.LogRecord) -> tuple[str, str | None]:
    """The record's message and its traceback/stack text (None without one), both redacted."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not hide the line
        message = str(record.msg)
    extra = record.exc_text
    if record.exc_info and not extra:
        extra = logging.Formatter().formatException(record.exc_info)
    if record.stack_info:
        extra = f"{extra}\n{record.stack_info}" if extra else record.stack_info
    return redact(message), redact(extra) if extra else None


class TextFormatter(logging.Formatter):
    """``2026-03-02 09:00:00,123 INFO connector.run: message`` and the traceback below it."""

    def format(self, record: logging.LogRecord) -> str:
        message, extra = redacted_parts(record)
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {message}"
        return f"{line}\n{extra}" if extra else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message and (if any) exc."""

    def format(self, record: logging.LogRecord) -> str:
        message, extra = redacted_parts(record)
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        if extra:
            payload["exc"] = extra
        return json.dumps(payload)


FORMATTERS: dict[str, type[logging.Formatter]] = {"text": TextFormatter, "json": JsonFormatter}


def setup_logging(verbosity: int = 0, fmt: str = "text") -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(FORMATTERS.get(fmt, TextFormatter)())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("urllib3", "alembic", "fontTools"):  # fontTools: ~75 INFO lines per PDF
        logging.getLogger(noisy).setLevel(logging.WARNING if verbosity < 2 else logging.DEBUG)
