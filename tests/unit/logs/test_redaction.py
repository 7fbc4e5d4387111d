"""No secret appears in a log line, whatever logger writes it."""

from __future__ import annotations

import io
import json
import logging

import pytest

from connector.logs.redact import RedactingFilter, redact, register_secret
from connector.logs.setup import setup_logging


def test_registered_secrets_and_token_shapes_are_masked() -> None:
    register_secret("1000.8d3fbbcd0c5e4c1f.refresh")
    text = redact(
        "refresh with 1000.8d3fbbcd0c5e4c1f.refresh failed; "
        "Authorization: Zoho-oauthtoken 1000.abc.def; "
        "POST client_secret=s3cr3tvalue&grant_type=refresh_token; "
        '{"access_token": "eyJhbGciOi", "code": 0}'
    )
    assert "8d3fbbcd0c5e4c1f" not in text
    assert "1000.abc.def" not in text
    assert "s3cr3tvalue" not in text
    assert "eyJhbGciOi" not in text
    assert '"code": 0' in text and "grant_type=***" not in text


def test_the_filter_redacts_arguments_and_tracebacks_of_any_logger() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("urllib3.test")
    logger.addHandler(handler)
    register_secret("smtp-password-42")
    try:
        try:
            raise RuntimeError("login failed for smtp-password-42")
        except RuntimeError:
            logger.exception("sending %s", "refresh_token=abcdef123456")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "smtp-password-42" not in out and "abcdef123456" not in out
    assert "refresh_token=***" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_secret_in_an_exception_traceback_is_redacted_in_every_log_format(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = f"tb-secret-{fmt}-9f8e7d6c"
    register_secret(secret)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup_logging(0, fmt)
        try:
            raise RuntimeError(f"token endpoint refused {secret} (refresh_token=r3fr3shv4lue)")
        except RuntimeError:
            logging.getLogger("connector.test").exception("refresh failed")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError" in err
    assert secret not in err and "r3fr3shv4lue" not in err
    if fmt == "json":
        line = json.loads(err.strip().splitlines()[-1])
        assert "***" in line["exc"] and line["message"] == "refresh failed"
