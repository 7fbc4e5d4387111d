"""The `moneybird:` section of a client file, and Moneybird's host (the only one an override may
name besides a sandbox on this machine).

Moneybird serves the API and OAuth from one host: the API at
``https://moneybird.com/api/v2/{administration_id}/...`` and OAuth at
``https://moneybird.com/oauth/authorize`` and ``/oauth/token``
(https://developer.moneybird.com/authentication).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr, field_validator

from connector.config.models import (
    HttpUrl,
    NonEmpty,
    PlatformSettings,
    digits_as_text,
    platform_url,
)

MONEYBIRD_URL = "https://moneybird.com"
API_PATH = "/api/v2"
#: the only host (an exact name, no suffix or prefix matching) a URL override may name, unless it
#: points at the machine itself (a sandbox): `moneybird.com.evil.example` is nobody's Moneybird
MONEYBIRD_HOSTS = frozenset({"moneybird.com"})


class MoneybirdSettings(PlatformSettings):
    """A Moneybird administration and the OAuth application that reaches it.

    `api_url` and `accounts_url` override Moneybird's host, for a sandbox: `api_url` is scheme,
    host and optional path prefix *without* ``/api/v2`` (it is appended); `accounts_url` is where
    ``/oauth/authorize`` and ``/oauth/token`` are found.
    """

    #: the number after moneybird.com/ in the address bar when the administration is open
    administration_id: Annotated[str, BeforeValidator(digits_as_text)]
    client_id: NonEmpty
    #: only as ``${ENV}`` (the loader refuses a literal secret)
    client_secret: SecretStr
    api_url: HttpUrl | None = None
    accounts_url: HttpUrl | None = None
    #: the reminder workflow, identity (sender) and document style Moneybird sends the
    #: connector's reminders with; each left out is taken from the reminder's lead invoice
    reminder_workflow_id: Annotated[str, BeforeValidator(digits_as_text)] | None = None
    identity_id: Annotated[str, BeforeValidator(digits_as_text)] | None = None
    document_style_id: Annotated[str, BeforeValidator(digits_as_text)] | None = None
    #: pause Moneybird's own reminder workflow for every open invoice the connector manages,
    #: as soon as it is synced (off only when Moneybird's workflow has no reminder steps)
    pause_workflow: bool = True
    #: where `dunning serve`'s webhook listener is reached from the internet (https), e.g.
    #: ``https://dunning.example``; the subscription appends ``/moneybird/webhook/<client>:<token>``
    webhook_url: HttpUrl | None = None
    #: the unguessable token in the webhook URL that authenticates Moneybird's pushes (only as
    #: ``${ENV}``; at least 24 characters)
    webhook_token: SecretStr | None = None

    @field_validator("administration_id")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError(
                "expected the administration id: digits only (the number after "
                "moneybird.com/ when the administration is open)"
            )
        return value

    @field_validator("reminder_workflow_id", "identity_id", "document_style_id")
    @classmethod
    def _moneybird_ids(cls, value: str | None) -> str | None:
        if value is not None and not value.isdigit():
            raise ValueError("expected a Moneybird id: digits only")
        return value

    @field_validator("webhook_token")
    @classmethod
    def _unguessable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            token = value.get_secret_value()
            if len(token) < 24 or not all(c.isalnum() or c in "-_" for c in token):
                raise ValueError(
                    "expected an unguessable token: at least 24 letters, digits, - or _ "
                    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
        return value

    @field_validator("api_url")
    @classmethod
    def _moneybird_api(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).path.rstrip("/").endswith(API_PATH):
            raise ValueError(f"leave off {API_PATH}: it is appended")
        return platform_url(value, MONEYBIRD_HOSTS, "Moneybird's host")

    @field_validator("accounts_url")
    @classmethod
    def _moneybird_accounts(cls, value: str | None) -> str | None:
        return platform_url(value, MONEYBIRD_HOSTS, "Moneybird's host")

    @property
    def effective_api_url(self) -> str:
        """The API base, ending in ``/api/v2`` (the administration id follows)."""
        return (self.api_url or MONEYBIRD_URL) + API_PATH

    @property
    def effective_accounts_url(self) -> str:
        """Where ``/oauth/authorize`` and ``/oauth/token`` are."""
        return self.accounts_url or MONEYBIRD_URL
