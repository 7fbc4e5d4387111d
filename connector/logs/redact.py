"""Secrets never reach a log line, an error message or a report.

Two nets: every secret the process learns (tokens, client secrets, SMTP passwords) is registered
and replaced wherever it appears verbatim; and patterns catch secret-looking fields that were
never registered (``Bearer …``, ``Zoho-oauthtoken …``, ``refresh_token=…``, JSON token fields).
The filter sits on the log handler, so third-party loggers are covered too.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_MIN_SECRET = 6  # shorter values are too likely to occur in ordinary text
_MAX_SECRETS = 50_000  # the most recent ones; old access tokens have long expired

#: runs of token characters; a registered token-shaped secret is found as one whole run, so
#: redaction costs one pass over the text and a set lookup, whatever the number of secrets
_TOKENISH = re.compile(r"[A-Za-z0-9._~+/-]{6,}")
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]+")

_lock = threading.Lock()
_tokens: dict[str, None] = {}  # insertion-ordered set of token-shaped secrets
_others: dict[str, None] = {}  # anything else (passwords with spaces or punctuation): few

_FIELD = (
    r"access_token|refresh_token|client_secret|id_token|password|passwd|secret|"
    r"authtoken|code|token"
)
_PATTERNS = [
    re.compile(r"(?i)\b(Bearer|Zoho-oauthtoken|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(rf"(?i)\b({_FIELD})=([^&\s\"',;]+)"),
    re.compile(rf"(?i)([\"']?(?:{_FIELD})[\"']?\s*[:=]\s*[\"'])([^\"']+)([\"'])"),
    re.compile(r"gAAAAA[A-Za-z0-9_-]{20,}={0,2}"),  # Fernet ciphertext
]


def register_secret(value: str | None) -> None:
    """Remember a secret so that no later log line or message shows it."""
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        if _TOKEN_SHAPE.fullmatch(value):
            for form in (value, value.rstrip("=")):
                _tokens[form] = None
            while len(_tokens) > _MAX_SECRETS:
                del _tokens[next(iter(_tokens))]
        else:
            _others[value] = None
            while len(_others) > _MAX_SECRETS:
                del _others[next(iter(_others))]


def _mask_token(match: re.Match[str]) -> str:
    return MASK if match.group(0) in _tokens else match.group(0)


def redact(text: str) -> str:
    if not text:
        return text
    if _tokens:
        text = _TOKENISH.sub(_mask_token, text)
    for secret in list(_others):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _PATTERNS[2].sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return _PATTERNS[3].sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites the record's message (with its arguments and traceback) redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the line
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
