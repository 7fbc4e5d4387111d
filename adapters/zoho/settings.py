"""The `zoho:` section of a client file, and Zoho's data centres (the only hosts an override may
name besides a sandbox on this machine)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr, field_validator

from connector.config.models import (
    HttpUrl,
    NonEmpty,
    PlatformSettings,
    Port,
    digits_as_text,
    platform_url,
)

ZohoDataCenter = Literal["com", "eu", "in", "com.au", "jp", "ca", "com.cn", "sa"]

# Zoho Books data centres: accounts server and Books API base (v3).
# Source: docs/zoho-books.md(Zoho OAuth and multi-DC pages).
_ZOHO_HOSTS: dict[str, tuple[str, str]] = {
    "com": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "com.au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "com.cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
}
ZOHO_BOOKS_PATH = "/books/v3"


def zoho_hosts(data_center: str) -> tuple[str, str]:
    """The accounts server and the Books API base URL (with ``/books/v3``) of a data centre.

    >>> zoho_hosts("eu")
    ('https://accounts.zoho.eu', 'https://www.zohoapis.eu/books/v3')

    Raises:
        KeyError: for an unknown data centre.
    """
    accounts, api_domain = _ZOHO_HOSTS[data_center]
    return accounts, api_domain + ZOHO_BOOKS_PATH


#: the only hosts (exact names, no suffix or prefix matching) a URL override may name, unless it
#: points at the machine itself (a sandbox): `accounts.zoho.evil.example` is nobody's Zoho
ZOHO_ACCOUNTS_HOSTS = frozenset(urlsplit(a).hostname or "" for a, _ in _ZOHO_HOSTS.values())
ZOHO_API_HOSTS = frozenset(urlsplit(b).hostname or "" for _, b in _ZOHO_HOSTS.values())

ZohoPlan = Literal["free", "standard", "professional", "premium", "elite", "ultimate"]


class ZohoSettings(PlatformSettings):
    """A Zoho Books organization and the OAuth client (self client / server-based app).

    `accounts_url` and `api_url` override the data centre's hosts, for a sandbox or a proxy:
    `accounts_url` is the accounts server (``/oauth/v2/...`` is appended), `api_url` is scheme,
    host and optional path prefix *without* ``/books/v3`` (it is appended), i.e. the same value
    as the ``api_domain`` Zoho returns with a token.
    """

    data_center: ZohoDataCenter
    organization_id: Annotated[str, BeforeValidator(digits_as_text)]
    client_id: NonEmpty
    client_secret: SecretStr
    accounts_url: HttpUrl | None = None
    api_url: HttpUrl | None = None
    plan: Annotated[
        ZohoPlan | None, BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)
    ] = None
    redirect_port: Port = 8765

    @field_validator("organization_id")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError("expected the organization id: digits only (Settings > Profile)")
        return value

    @field_validator("api_url")
    @classmethod
    def _no_books_path(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).path.rstrip("/").endswith(ZOHO_BOOKS_PATH):
            raise ValueError(f"leave off {ZOHO_BOOKS_PATH}: it is appended")
        return platform_url(value, ZOHO_API_HOSTS, "a Zoho API host")

    @field_validator("accounts_url")
    @classmethod
    def _zoho_accounts(cls, value: str | None) -> str | None:
        return platform_url(value, ZOHO_ACCOUNTS_HOSTS, "a Zoho accounts server")

    @property
    def effective_accounts_url(self) -> str:
        return self.accounts_url or zoho_hosts(self.data_center)[0]

    @property
    def effective_api_url(self) -> str:
        """The Books API base, ending in ``/books/v3``."""
        if self.api_url:
            return self.api_url + ZOHO_BOOKS_PATH
        return zoho_hosts(self.data_center)[1]
