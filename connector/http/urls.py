"""URLs for log lines and messages: secret-looking query values masked, then redacted."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connector.logs.redact import redact

#: query/form keys whose values are masked in log lines
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "refresh_token",
        "access_token",
        "code",
        "token",
        "password",
        "authtoken",
        "id_token",
        "assertion",
    }
)
_MASK = "***"


def mask_query(url: str) -> str:
    """The URL with secret-looking query values replaced by ``***`` (dlt's `sanitize_url`)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (k, _MASK if k.lower() in SECRET_KEYS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*:,")))


def safe_url(url: str) -> str:
    """Path and masked query of `url` (no scheme/host), for log lines and messages."""
    masked = urlsplit(mask_query(url))
    return redact(masked.path + (f"?{masked.query}" if masked.query else ""))
