"""Configuration that would let secrets travel or rest in clear is refused, with file, key and
line: literal secrets in the files, plain http to anything but this machine, an SMTP login
without TLS, and hosts that only look like Zoho's or Exact's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.exact.settings import ExactServiceSettings, ExactSettings
from adapters.zoho.login import is_zoho_accounts as _is_zoho_accounts
from adapters.zoho.settings import ZohoSettings
from connector.config import ConfigError, load_config
from connector.config.models import SmtpSettings

Writer = Callable[[str, str], Path]
LITERAL = "hunter2-literal-secret"

EXACT = """\
display_name: Beta
platform: exact
exact:
  country: nl
  division: 1234567
  client_id: abc
  client_secret: ${BETA_SECRET}
mail:
  smtp_host: smtp.example.com
  from: ar@beta.example
sender: {name: Beta, email: ar@beta.example}
"""
ENV = {"ACME_CLIENT_ID": "1000.X", "ACME_CLIENT_SECRET": "acme-secret", "BETA_SECRET": "b-secret"}


def _errors(config_dir: Path, slug: str) -> list[str]:
    loaded = load_config(config_dir, ENV)
    assert slug not in loaded.clients
    messages = [p.describe() for p in loaded.errors[slug].problems]
    assert all(LITERAL not in m for m in messages)
    return messages


@pytest.mark.parametrize(
    ("replace", "by", "key", "line"),
    [
        ("client_secret: ${ACME_CLIENT_SECRET}", f"client_secret: {LITERAL}", "client_secret", 7),
        ("client_secret: ${ACME_CLIENT_SECRET}", "client_secret: 12345678", "client_secret", 7),
        (
            "client_secret: ${ACME_CLIENT_SECRET}",
            f"client_secret: ${{ACME_CLIENT_SECRET:-{LITERAL}}}",
            "client_secret",
            7,
        ),
        (
            "client_secret: ${ACME_CLIENT_SECRET}",
            f"client_secret: pre-${{ACME_CLIENT_SECRET}}-{LITERAL}",
            "client_secret",
            7,
        ),
    ],
)
def test_a_literal_client_secret_is_refused_with_file_key_and_line(
    config_dir: Path, write: Writer, client_text: str, replace: str, by: str, key: str, line: int
) -> None:
    write("clients/acme.yaml", client_text.replace(replace, by))
    assert _errors(config_dir, "acme") == [
        f"config/clients/acme.yaml: zoho.{key}: a secret must not be written in the file: use "
        f"an environment reference such as ${{ACME_CLIENT_SECRET}} and set that variable "
        f"(line {line})"
    ]


def test_literal_webhook_secret_and_smtp_password_are_refused_even_in_a_disabled_client(
    config_dir: Path, write: Writer
) -> None:
    text = EXACT.replace("  client_id: abc\n", f"  client_id: abc\n  webhook_secret: {LITERAL}\n")
    text = text.replace(
        "  from: ar@beta.example\n",
        f"  from: ar@beta.example\n  username: ar\n  password: {LITERAL}\n",
    )
    write("clients/beta.yaml", "enabled: false\n" + text)
    assert [m.split(": ", 2)[1] for m in _errors(config_dir, "beta")] == [
        "exact.webhook_secret",
        "mail.password",
    ]


def test_a_literal_smtp_password_in_connector_yaml_stops_the_load(
    config_dir: Path, write: Writer
) -> None:
    write(
        "connector.yaml",
        "mail:\n  smtp_host: smtp.example.com\n  from: ops@example.nl\n  username: ops\n"
        f"  password: {LITERAL}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, ENV)
    assert str(caught.value) == (
        "config/connector.yaml: mail.password: a secret must not be written in the file: use an "
        "environment reference such as ${ACME_CLIENT_SECRET} and set that variable (line 5)"
    )


def test_a_database_password_written_in_connector_yaml_stops_the_load(
    config_dir: Path, write: Writer
) -> None:
    write(
        "connector.yaml",
        f"timezone: Europe/Amsterdam\ndatabase_url: postgresql+psycopg://dunning:{LITERAL}@db/dun\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, ENV)
    assert LITERAL not in str(caught.value)
    assert str(caught.value) == (
        "config/connector.yaml: database_url: the database password must not be written in the "
        "file: write it as a reference, e.g. postgresql+psycopg://dunning:${DB_PASSWORD}@db/"
        "dunning, or set DATABASE_URL in the environment (line 2)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://dunning:${DB_PASSWORD}@db/dun",
        "postgresql+psycopg://dunning@db/dun",
        "${DATABASE_URL_FOR_ACME}",
        "sqlite:///data/dunning.db",
    ],
)
def test_a_database_url_without_a_written_password_loads(
    config_dir: Path, write: Writer, url: str
) -> None:
    write("connector.yaml", f"database_url: '{url}'\n")
    env = {**ENV, "DB_PASSWORD": "pw", "DATABASE_URL_FOR_ACME": "sqlite:///x.db"}
    assert load_config(config_dir, env).connector.database_url


def test_a_secret_from_the_environment_loads(config_dir: Path, write: Writer) -> None:
    write("clients/beta.yaml", EXACT.replace("  client_id: abc\n", "  client_id: abc\n"))
    client = load_config(config_dir, ENV).clients["beta"]
    assert ExactSettings.of(client).client_secret.get_secret_value() == "b-secret"


# -- http only to this machine ----------------------------------------------------------------
def zoho(**overrides: str) -> ZohoSettings:
    base = {"data_center": "eu", "organization_id": "1", "client_id": "c", "client_secret": "s"}
    return ZohoSettings.model_validate({**base, **overrides})


def exact(**overrides: str) -> ExactSettings:
    return ExactSettings.model_validate(
        {"division": 1, "client_id": "c", "client_secret": "s", **overrides}
    )


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.9.9.9:1", "http://localhost:9", "http://[::1]:9"]
)
def test_plain_http_is_accepted_for_a_sandbox_on_this_machine(url: str) -> None:
    assert zoho(accounts_url=url, api_url=url).effective_accounts_url == url
    assert exact(base_url=url).effective_base_url == url


@pytest.mark.parametrize(
    "url",
    ["http://accounts.zoho.eu", "http://10.0.0.5:8080", "http://sandbox.example", "http://[::2]"],
)
def test_plain_http_to_any_other_host_is_refused(url: str) -> None:
    builds: list[Callable[[], object]] = [
        lambda: zoho(accounts_url=url),
        lambda: zoho(api_url=url),
    ]
    for build in builds:
        with pytest.raises(ValidationError) as caught:
            build()
        assert "must be https://" in caught.value.errors()[0]["msg"]
    with pytest.raises(ValidationError):
        exact(base_url=url)


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("accounts_url", "https://accounts.zoho.evil.example"),
        ("accounts_url", "https://accounts.zoho.eu.evil.example"),
        ("accounts_url", "https://evilaccounts.zoho.eu"),
        ("accounts_url", "https://accounts.zoho.eu:8443"),
        ("api_url", "https://www.zohoapis.eu.evil.example"),
        ("api_url", "https://proxy.example/zoho"),
    ],
)
def test_only_zohos_own_hosts_match_exactly(field: str, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        zoho(**{field: url})
    assert "expected https:// with one of" in caught.value.errors()[0]["msg"]


def test_zohos_own_hosts_and_exacts_own_hosts_are_accepted() -> None:
    settings = zoho(accounts_url="https://accounts.zoho.com", api_url="https://www.zohoapis.com")
    assert settings.effective_api_url == "https://www.zohoapis.com/books/v3"
    assert exact(base_url="https://start.exactonline.be").effective_base_url.endswith(".be")
    for wrong in ("https://start.exactonline.nl.evil.example", "https://exactonline.nl"):
        with pytest.raises(ValidationError):
            exact(base_url=wrong)


def test_the_login_follows_only_zohos_own_accounts_servers() -> None:
    assert _is_zoho_accounts("https://accounts.zoho.eu")
    assert _is_zoho_accounts("https://accounts.zohocloud.ca/")
    for wrong in (
        "https://accounts.zoho.evil.example",
        "https://accounts.zohocloud.evil.example",
        "http://accounts.zoho.eu",
        "https://accounts.zoho.eu@evil.example",
    ):
        assert not _is_zoho_accounts(wrong), wrong


# -- SMTP login only over TLS -----------------------------------------------------------------
def smtp(**overrides: object) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {"smtp_host": "smtp.example.com", "from": "ar@acme.example", **overrides}
    )


def test_an_smtp_login_without_starttls_or_ssl_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        smtp(username="ar", password="pw", starttls=False)
    assert "a login is only sent over TLS" in str(caught.value)
    assert smtp(username="ar", password="pw").starttls
    assert smtp(username="ar", password="pw", starttls=False, ssl=True).ssl


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_relay_on_this_machine_may_take_a_login_without_tls(host: str) -> None:
    assert smtp(smtp_host=host, username="ar", password="pw", starttls=False).username == "ar"


def test_without_a_login_plain_smtp_stays_allowed() -> None:
    assert smtp(starttls=False).username is None


def test_the_smtp_rule_is_located_in_the_client_file(
    config_dir: Path, write: Writer, client_text: str
) -> None:
    write(
        "clients/acme.yaml",
        client_text
        + "mail:\n  smtp_host: smtp.example.com\n  from: ar@acme.example\n  username: ar\n"
        "  password: ${ACME_CLIENT_SECRET}\n  starttls: false\n",
    )
    assert _errors(config_dir, "acme") == [
        "config/clients/acme.yaml: mail.starttls: a login is only sent over TLS: set starttls: "
        "true (port 587) or ssl: true (port 465); plain SMTP only to a relay on this machine "
        "(line 14)"
    ]


# -- the webhook listener ---------------------------------------------------------------------
def test_the_webhook_listener_is_off_by_default_and_never_shares_the_metrics_port(
    config_dir: Path, write: Writer
) -> None:
    assert _exact_listener(config_dir).webhook_listen is None
    write("connector.yaml", "http: {listen: '127.0.0.1:8089'}\nexact:\n  webhook_listen: x\n")
    with pytest.raises(ConfigError, match=r"exact\.webhook_listen: expected HOST:PORT"):
        load_config(config_dir, ENV)
    write(
        "connector.yaml",
        "http: {listen: '127.0.0.1:8089'}\nexact:\n  webhook_listen: '127.0.0.1:8089'\n",
    )
    with pytest.raises(ConfigError, match=r"needs its own port, apart from http\.listen"):
        load_config(config_dir, ENV)
    write("connector.yaml", "exact:\n  webhook_listen: '0.0.0.0:8090'\n")
    assert _exact_listener(config_dir).webhook_listen == "0.0.0.0:8090"


def _exact_listener(config_dir: Path) -> ExactServiceSettings:
    """connector.yaml's `exact:` section (Exact's webhook listener), defaults when left out."""
    section = load_config(config_dir, ENV).connector.platform_section("exact")
    assert isinstance(section, ExactServiceSettings)
    return section
