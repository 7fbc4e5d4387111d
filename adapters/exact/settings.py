"""The `exact:` section of a client file, and Exact Online's hosts (one per country; the only
hosts an override may name besides a sandbox on this machine)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from connector.config.models import (
    HttpUrl,
    KeyRuleError,
    NonEmpty,
    PlatformSettings,
    WebhookListenerSettings,
    platform_url,
)


class ExactServiceSettings(WebhookListenerSettings):
    """connector.yaml's `exact:`: the webhook listener of `dunning serve` for Exact's events
    (``/exact/webhook/<client>``)."""


ExactCountry = Literal["nl", "be", "de", "fr", "es", "co.uk", "com"]


def exact_host(country: str) -> str:
    """The Exact Online host of a country; apps and tokens are per host."""
    return f"https://start.exactonline.{country}"


EXACT_COUNTRIES: tuple[str, ...] = get_args(ExactCountry)
#: the only hosts (exact names, no suffix or prefix matching) a URL override may name, unless it
#: points at the machine itself (a sandbox)
EXACT_HOSTS = frozenset(f"start.exactonline.{c}" for c in EXACT_COUNTRIES)


class ExactSettings(PlatformSettings):
    """An Exact Online app registration and the division(s) to follow."""

    country: ExactCountry | None = None
    base_url: HttpUrl | None = None
    division: int | None = Field(default=None, ge=1)
    divisions: tuple[Annotated[int, Field(ge=1)], ...] | None = None
    client_id: NonEmpty
    client_secret: SecretStr
    debtor_management_addon: bool = False
    webhook_secret: SecretStr | None = None
    #: where Exact posts webhook events for this client (`dunning exact webhooks subscribe`):
    #: the public https URL of `dunning serve`'s webhook endpoint; a bare host gets
    #: ``/exact/webhook/<client>`` appended; plain http only on loopback (a local trial)
    webhook_url: str | None = None
    #: when Exact retires a refresh token for this app: "on_first_use" (once a newer token is
    #: used; Exact's behaviour as Invantive describes it) lets the connector refresh again with
    #: the stored token after a refresh whose answer was lost; "immediate" (single-use the
    #: moment a successor is issued) makes such a loss end in "consent needed" instead
    refresh_rotation: Literal["on_first_use", "immediate"] = "on_first_use"

    @field_validator("base_url")
    @classmethod
    def _exact_host(cls, value: str | None) -> str | None:
        return platform_url(value, EXACT_HOSTS, "an Exact Online host")

    @model_validator(mode="after")
    def _exactly_one(self) -> ExactSettings:
        if (self.country is None) == (self.base_url is None):
            raise KeyRuleError(
                "give exactly one of 'country' (e.g. nl) or 'base_url' (a sandbox)", "country"
            )
        if self.division is not None and self.divisions is not None:
            raise KeyRuleError("give 'division' or 'divisions', not both", "division")
        if self.divisions is not None:
            if not self.divisions:
                raise KeyRuleError("list at least one division", "divisions")
            if len(set(self.divisions)) != len(self.divisions):
                raise KeyRuleError("a division is listed twice", "divisions")
        return self

    @field_validator("webhook_url")
    @classmethod
    def _https_callback(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        loopback = host in ("localhost", "::1") or host.startswith("127.")
        if not parts.hostname or not (
            parts.scheme == "https" or (parts.scheme == "http" and loopback)
        ):
            raise ValueError("expected an https:// URL (http:// only on loopback)")
        return value

    @property
    def effective_base_url(self) -> str:
        if self.base_url:
            return self.base_url
        assert self.country is not None  # guaranteed by _exactly_one
        return exact_host(self.country)

    @property
    def division_list(self) -> tuple[int, ...]:
        """The divisions followed; empty until one is chosen (a client file made on the
        console names its division once it is picked after consent)."""
        if self.divisions is not None:
            return self.divisions
        return () if self.division is None else (self.division,)
