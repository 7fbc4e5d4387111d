"""Rules between keys, value checks, overrides and how the config directory is chosen."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.exact.settings import ExactSettings
from adapters.zoho.settings import ZohoSettings
from connector.config import ConfigError, load_client, load_config, resolve_config_dir

Writer = Callable[[str, str], Path]

EXACT = """\
display_name: Beta
platform: exact
exact:
  country: nl
  division: 1234567
  client_id: abc
  client_secret: ${ACME_CLIENT_SECRET}
mail:
  smtp_host: smtp.example.com
  from: ar@beta.example
sender:
  name: Beta
  email: ar@beta.example
"""

BETA_ENV = {"ACME_CLIENT_SECRET": "beta-secret-value"}

SMTP = "mail:\n  smtp_host: smtp.example.com\n  from: ar@acme.example\n"


def problems(config_dir: Path, env: dict[str, str], slug: str = "acme") -> list[str]:
    return [p.describe() for p in load_config(config_dir, env).errors[slug].problems]


# -- platform sections ------------------------------------------------------------------------
def test_platform_zoho_requires_a_zoho_section(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    start, end = client_text.index("zoho:"), client_text.index("sender:")
    write("clients/acme.yaml", client_text[:start] + client_text[end:])

    assert problems(config_dir, env) == [
        "config/clients/acme.yaml: zoho: platform is 'zoho', so a 'zoho:' section is required "
        "(line 2)"
    ]


def test_a_section_for_another_platform_is_an_error(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    exact = EXACT.split("mail:")[0].split("exact:\n")[1]
    write("clients/acme.yaml", client_text + "exact:\n" + exact)

    assert problems(config_dir, env) == [
        "config/clients/acme.yaml: exact: platform is 'zoho': remove this section "
        "(or change platform) (line 11)"
    ]


def test_an_exact_client_loads_and_needs_a_mail_section(config_dir: Path, write: Writer) -> None:
    write("clients/beta.yaml", EXACT)
    client = load_client(config_dir, "beta", BETA_ENV)
    exact = ExactSettings.of(client)
    assert exact.effective_base_url == "https://start.exactonline.nl"
    assert exact.division_list == (1234567,)

    start, end = EXACT.index("mail:"), EXACT.index("sender:")
    write("clients/beta.yaml", EXACT[:start] + EXACT[end:])
    assert problems(config_dir, BETA_ENV, "beta") == [
        "config/clients/beta.yaml: mail: Exact Online cannot send the reminders itself: "
        "a 'mail:' section is required (line 2)"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  country: nl\n",
            "",
            "exact.country: give exactly one of 'country' (e.g. nl) or "
            "'base_url' (a sandbox) (line 3)",
        ),
        (
            "  division: 1234567\n",
            "  division: 1234567\n  divisions: [1234567]\n",
            "exact.division: give 'division' or 'divisions', not both (line 5)",
        ),
    ],
)
def test_exact_needs_exactly_one_host_and_at_most_one_division_setting(
    config_dir: Path, write: Writer, old: str, new: str, expected: str
) -> None:
    write("clients/beta.yaml", EXACT.replace(old, new))
    assert problems(config_dir, BETA_ENV, "beta") == [f"config/clients/beta.yaml: {expected}"]


def test_an_exact_client_file_may_leave_the_division_to_the_connect_page(
    config_dir: Path, write: Writer
) -> None:
    write("clients/beta.yaml", EXACT.replace("  division: 1234567\n", ""))
    client = load_client(config_dir, "beta", BETA_ENV)
    assert ExactSettings.of(client).division_list == ()


def test_exact_with_a_sandbox_url_and_several_divisions(config_dir: Path, write: Writer) -> None:
    write(
        "clients/beta.yaml",
        EXACT.replace("country: nl", "base_url: http://127.0.0.1:9000/").replace(
            "division: 1234567", "divisions: [1, 2]"
        ),
    )
    exact = ExactSettings.of(load_client(config_dir, "beta", BETA_ENV))
    assert exact.effective_base_url == "http://127.0.0.1:9000"
    assert exact.division_list == (1, 2)


# -- value checks -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "timezone: Europe/Amsterdm\n",
            "timezone: unknown time zone (use an IANA name such as Europe/Amsterdam) (line 11)",
        ),
        (
            "sending_window: 17:00-08:00\n",
            "sending_window: window start 17:00 is not before end 08:00 (line 11)",
        ),
        (
            "sending_window: nine to five\n",
            "sending_window: expected 'HH:MM-HH:MM', got 'nine to five' (line 11)",
        ),
        (
            "policy_overrides:\n  min_balance: -1\n",
            "policy_overrides.min_balance: Input should be greater than or equal to 0 (line 12)",
        ),
        (
            "policy_overrides:\n  thank_you: always\n",
            "policy_overrides.thank_you: Input should be 'reminded', 'every' or 'never' (line 12)",
        ),
        (
            SMTP + "  ssl: true\n",
            "mail.ssl: choose one: ssl (implicit TLS, usually port 465) or "
            "starttls (usually port 587) (line 14)",
        ),
        (
            SMTP + "  password: ${ACME_CLIENT_SECRET}\n",
            "mail.username: a password needs a username (line 14)",
        ),
    ],
)
def test_values_are_checked_with_a_readable_message(
    config_dir: Path,
    write: Writer,
    client_text: str,
    env: dict[str, str],
    extra: str,
    expected: str,
) -> None:
    write("clients/acme.yaml", client_text + extra)
    assert problems(config_dir, env) == [f"config/clients/acme.yaml: {expected}"]


def test_a_sender_email_must_look_like_one(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text.replace("ar@acme.example", "accounts receivable"))
    assert problems(config_dir, env) == [
        "config/clients/acme.yaml: sender.email: not a valid email address "
        "(expected name@example.com) (line 10)"
    ]


def test_numeric_ids_written_without_quotes_are_read_as_text(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    text = client_text.replace('"20061234567"', "20061234567")
    write("clients/acme.yaml", text + "customers:\n  460000000012345: {reminders: false}\n")

    client = load_client(config_dir, "acme", env)

    assert ZohoSettings.of(client).organization_id == "20061234567"
    assert client.customers["460000000012345"].reminders is False


def test_a_client_gets_defaults_for_everything_optional(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text)
    client = load_client(config_dir, "acme", env)
    assert client.enabled is True
    assert client.policy == "nl-b2b-standard"
    assert client.policy_overrides.min_balance == Decimal("5.00")
    assert client.policy_overrides.thank_you == "reminded"
    assert (client.language, client.approval.required, client.timezone) == ("nl", False, None)
    assert client.unresolved_env == ()


def test_connector_settings_are_checked(config_dir: Path, write: Writer) -> None:
    write(
        "connector.yaml",
        "holidays:\n  country: XX\nschedule:\n  every_minutes: 0\nhttp:\n  listen: localhost\n"
        "alerts:\n  email: ops@example.com\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})
    assert [p.describe() for p in caught.value.problems] == [
        "config/connector.yaml: holidays.country: not a country the holidays package knows "
        "(use e.g. NL, BE, DE) (line 2)",
        "config/connector.yaml: schedule.every_minutes: Input should be greater than or equal "
        "to 1 (line 4)",
        "config/connector.yaml: http.listen: expected HOST:PORT, e.g. 127.0.0.1:8089 (line 6)",
    ]


def test_alert_mail_needs_an_smtp_relay(config_dir: Path, write: Writer) -> None:
    write("connector.yaml", "alerts:\n  email: ops@example.com\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})
    assert str(caught.value) == (
        "config/connector.yaml: mail: alert mail needs an SMTP relay: add a 'mail:' section "
        "(line 2)"
    )


# -- overrides and paths ----------------------------------------------------------------------
def test_DATABASE_URL_overrides_the_file(config_dir: Path, write: Writer) -> None:
    write("connector.yaml", "database_url: ${NOT_SET_BECAUSE_OVERRIDDEN}\n")
    url = "postgresql+psycopg://dunning@db/dunning"

    loaded = load_config(config_dir, {"DATABASE_URL": url})

    assert loaded.connector.database_url == url


def test_a_relative_sqlite_path_and_key_file_are_relative_to_the_config_dir(
    config_dir: Path,
) -> None:
    connector = load_config(config_dir, {}).connector

    base = config_dir.resolve()
    assert connector.database_url == f"sqlite:///{base}/data/dunning.db"
    assert connector.secret_key_file == str(base / "secret.key")
    assert connector.timezone == "Europe/Amsterdam"
    assert connector.http.host == "127.0.0.1" and connector.http.port == 8089


@pytest.mark.parametrize(
    "url", ["sqlite:////var/lib/dunning.db", "sqlite://", "sqlite:///:memory:", "postgresql://x/y"]
)
def test_other_database_urls_are_left_alone(config_dir: Path, write: Writer, url: str) -> None:
    write("connector.yaml", f"database_url: '{url}'\n")
    assert load_config(config_dir, {}).connector.database_url == url


def test_the_config_dir_comes_from_the_option_then_DUNNING_CONFIG_then_default() -> None:
    assert resolve_config_dir("/etc/dunning", {"DUNNING_CONFIG": "/srv"}) == Path("/etc/dunning")
    assert resolve_config_dir(None, {"DUNNING_CONFIG": "/srv"}) == Path("/srv")
    assert resolve_config_dir(None, {}) == Path("config")
