"""Every kind of configuration mistake is reported with file, key path, line and a readable
message, and never with a configured value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.zoho.settings import ZohoSettings
from connector.config import ConfigError, load_client, load_config

Writer = Callable[[str, str], Path]


def client_error(config_dir: Path, env: dict[str, str], slug: str = "acme") -> ConfigError:
    loaded = load_config(config_dir, env)
    assert slug not in loaded.clients
    return loaded.errors[slug]


# -- unknown, missing and wrong keys ----------------------------------------------------------
def test_a_misspelled_key_names_the_file_and_the_key(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text.replace("data_center", "datacenter"))

    error = client_error(config_dir, env)

    assert error.file == Path("config/clients/acme.yaml")
    assert error.key_path == "zoho.datacenter"
    assert error.line == 4
    assert str(error) == (
        "config/clients/acme.yaml: zoho.datacenter: unknown key (did you mean 'data_center'?) "
        "(line 4)"
    )  # and not also "zoho.data_center: Field required"


def test_an_unknown_key_without_a_close_match_lists_the_expected_keys(
    config_dir: Path, write: Writer
) -> None:
    write("connector.yaml", "http:\n  listen: 127.0.0.1:8089\n  zzz: 1\n")

    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})

    assert str(caught.value) == (
        "config/connector.yaml: http.zzz: unknown key (expected one of: listen) (line 3)"
    )


def test_a_missing_key_points_at_the_mapping_that_lacks_it(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text.replace('  organization_id: "20061234567"\n', ""))

    error = client_error(config_dir, env)

    assert str(error) == "config/clients/acme.yaml: zoho.organization_id: Field required (line 3)"


def test_a_missing_top_level_key_has_no_line(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text.replace("display_name: Acme B.V.\n", ""))

    assert str(client_error(config_dir, env)) == (
        "config/clients/acme.yaml: display_name: Field required"
    )


def test_a_value_of_the_wrong_kind_says_what_is_expected(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "customers:\n  C-1:\n    profile: consumr\n")

    assert str(client_error(config_dir, env)) == (
        "config/clients/acme.yaml: customers.C-1.profile: "
        "Input should be 'business', 'consumer' or 'government' (line 13)"
    )


def test_a_list_item_is_located_by_its_index(config_dir: Path, write: Writer) -> None:
    write("connector.yaml", "holidays:\n  extra:\n    - 2026-12-24\n    - 31-12-2026\n")

    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})

    assert caught.value.key_path == "holidays.extra.1"
    assert caught.value.line == 4


def test_a_duplicate_key_is_an_error(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "language: nl\nlanguage: en\n")

    assert str(client_error(config_dir, env)) == (
        "config/clients/acme.yaml: language: duplicate key (line 12)"
    )


def test_all_problems_in_a_file_are_reported_in_line_order(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "language: fr\napproval: maybe\n")

    error = client_error(config_dir, env)

    assert [(p.key_path, p.line) for p in error.problems] == [("language", 11), ("approval", 12)]
    assert str(error).splitlines() == [
        "config/clients/acme.yaml: language: Input should be 'nl' or 'en' (line 11)",
        "config/clients/acme.yaml: approval: Input should be 'none' or 'required' "
        "(or {required: true, notify: ADDRESS}) (line 12)",
    ]


# -- environment references -------------------------------------------------------------------
def test_a_missing_env_var_names_the_variable(
    config_dir: Path, write: Writer, client_text: str
) -> None:
    write("clients/acme.yaml", client_text)

    error = client_error(config_dir, {"ACME_CLIENT_ID": "1000.X"})

    assert str(error) == (
        "config/clients/acme.yaml: zoho.client_secret: "
        "environment variable ACME_CLIENT_SECRET is not set (line 7)"
    )


def test_a_missing_env_var_in_connector_yaml_stops_the_load(
    config_dir: Path, write: Writer
) -> None:
    write("connector.yaml", "alerts:\n  email: ${OPS_MAIL}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})

    assert caught.value.problems[0].describe() == (
        "config/connector.yaml: alerts.email: environment variable OPS_MAIL is not set (line 2)"
    )


def test_references_have_defaults_and_escapes(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write(
        "clients/acme.yaml",
        client_text.replace("name: Acme", "name: ${SENDER:-Acme AR} \\${not_a_var}")
        + "policy: ${POLICY:-nl-b2b-standard}\n",
    )

    client = load_client(config_dir, "acme", {**env, "POLICY": ""})

    assert client.sender.name == "Acme AR ${not_a_var}"
    assert client.policy == "nl-b2b-standard"
    assert ZohoSettings.of(client).client_id == "1000.ACMEID"
    assert ZohoSettings.of(client).client_secret.get_secret_value() == "acme-very-secret-value"


def test_a_reference_inside_a_longer_value_is_resolved(config_dir: Path, write: Writer) -> None:
    write("connector.yaml", "database_url: postgresql+psycopg://dunning:${PGPASS}@db/dunning\n")

    loaded = load_config(config_dir, {"PGPASS": "pw"})

    assert loaded.connector.database_url == "postgresql+psycopg://dunning:pw@db/dunning"


def test_a_malformed_reference_is_an_error(config_dir: Path, write: Writer) -> None:
    write("connector.yaml", "timezone: ${TZ-Europe/Amsterdam}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})

    assert caught.value.key_path == "timezone"
    assert caught.value.message.startswith("malformed environment reference")


def test_a_disabled_client_may_reference_unset_variables(
    config_dir: Path, write: Writer, client_text: str
) -> None:
    write("clients/acme.yaml", "enabled: false\n" + client_text)

    loaded = load_config(config_dir, {})

    assert loaded.errors == {}
    assert loaded.clients["acme"].enabled is False
    assert loaded.unresolved["acme"] == (
        "zoho.client_id (ACME_CLIENT_ID)",
        "zoho.client_secret (ACME_CLIENT_SECRET)",
    )


def test_a_disabled_client_with_a_placeholder_in_a_checked_field_names_the_variable(
    config_dir: Path, write: Writer, client_text: str
) -> None:
    text = client_text.replace('"20061234567"', "${ACME_ORG}")
    write("clients/acme.yaml", "enabled: false\n" + text)

    error = client_error(config_dir, {})

    assert str(error) == (
        "config/clients/acme.yaml: zoho.organization_id: "
        "environment variable ACME_ORG is not set (line 6)"
    )


def test_enabling_a_client_makes_its_unset_variables_errors(
    config_dir: Path, write: Writer, client_text: str
) -> None:
    write("clients/acme.yaml", "enabled: ${ACME_ON:-true}\n" + client_text)

    error = client_error(config_dir, {})

    assert [p.message for p in error.problems] == [
        "environment variable ACME_CLIENT_ID is not set",
        "environment variable ACME_CLIENT_SECRET is not set",
    ]
    assert load_config(config_dir, {"ACME_ON": "false"}).errors == {}


# -- whole-file problems ----------------------------------------------------------------------
def test_a_yaml_syntax_error_gives_the_line_and_the_parsers_problem(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "customers:\n  - a\n b: c\n")

    error = client_error(config_dir, env)

    assert error.key_path == ""
    assert error.line == 13
    assert error.message.startswith("invalid YAML: ")
    assert str(error).startswith("config/clients/acme.yaml: invalid YAML: ")


def test_a_top_level_list_is_rejected(config_dir: Path, write: Writer) -> None:
    write("clients/acme.yaml", "- display_name: Acme\n")

    assert str(client_error(config_dir, {})) == (
        "config/clients/acme.yaml: the top level must be a mapping of keys to values, "
        "found a list (line 1)"
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "null\n"])
def test_an_empty_file_is_rejected(config_dir: Path, write: Writer, text: str) -> None:
    write("clients/acme.yaml", text)

    assert str(client_error(config_dir, {})) == "config/clients/acme.yaml: the file is empty"


def test_a_file_that_is_not_utf8_is_reported(config_dir: Path) -> None:
    (config_dir / "clients" / "acme.yaml").write_bytes(b"display_name: \xff\xfe\n")

    assert str(client_error(config_dir, {})) == (
        "config/clients/acme.yaml: cannot read: not UTF-8 text"
    )


def test_an_unreadable_connector_file_stops_the_load(config_dir: Path) -> None:
    (config_dir / "connector.yaml").unlink()
    (config_dir / "connector.yaml").mkdir()

    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})

    assert caught.value.file == Path("config/connector.yaml")
    assert caught.value.message.startswith("cannot read: ")


def test_a_missing_connector_file_says_how_to_create_one(config_dir: Path) -> None:
    (config_dir / "connector.yaml").unlink()

    with pytest.raises(ConfigError, match=r"connector.yaml: not found; run `dunning init config`"):
        load_config(config_dir, {})


def test_a_missing_config_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration directory not found"):
        load_config(tmp_path / "nowhere", {})


# -- file names and isolation -----------------------------------------------------------------
def test_a_broken_client_file_does_not_stop_the_others(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text)
    write("clients/broken.yaml", "display_name: [unclosed\n")
    # (another organisation: two files on one organisation are refused, see
    # test_config_same_ledger.py)
    write(
        "clients/zeta.yaml",
        client_text.replace("Acme B.V.", "Zeta").replace("20061234567", "20069999999"),
    )

    loaded = load_config(config_dir, env)

    assert sorted(loaded.clients) == ["acme", "zeta"]
    assert list(loaded.errors) == ["broken"]
    assert loaded.errors["broken"].file == Path("config/clients/broken.yaml")


def test_a_broken_connector_yaml_raises(config_dir: Path, write: Writer) -> None:
    write("connector.yaml", "log_format: xml\n")

    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})

    assert str(caught.value) == (
        "config/connector.yaml: log_format: Input should be 'text' or 'json' (line 1)"
    )


def test_a_file_name_that_is_not_a_valid_client_name_is_reported(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/Acme Corp.yaml", client_text)

    loaded = load_config(config_dir, env)

    assert "is not a valid client name" in str(loaded.errors["Acme Corp"])
    assert loaded.clients == {}


def test_a_yml_file_is_reported_not_ignored(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yml", client_text)

    loaded = load_config(config_dir, env)

    assert str(loaded.errors["acme"]) == (
        "config/clients/acme.yml: client files must end in .yaml: rename it to acme.yaml"
    )


def test_load_client_of_an_unknown_slug_is_an_error(config_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"clients/ghost.yaml: no such client file"):
        load_client(config_dir, "ghost", {})


# -- secrets ----------------------------------------------------------------------------------
SECRET = "s3cr3t-Value-never-shown"


@pytest.mark.parametrize(
    ("replace", "by"),
    [
        # a secret of the wrong type (pydantic would echo it as input_value)
        ("client_secret: ${ACME_CLIENT_SECRET}", f"client_secret: [{SECRET}]"),
        # a secret under a misspelled key
        ("client_secret: ${ACME_CLIENT_SECRET}", f"client_secret_: {SECRET}"),
        # a secret given where a number is expected
        ('organization_id: "20061234567"', f"organization_id: {SECRET}"),
        # a secret on a line the YAML parser cannot read
        ("client_secret: ${ACME_CLIENT_SECRET}", f"client_secret: {SECRET}: {SECRET}"),
        # a secret that arrives through the environment next to an invalid value
        ("data_center: eu", "data_center: ${ACME_CLIENT_SECRET}"),
    ],
)
def test_a_secret_never_appears_in_a_validation_error(
    config_dir: Path, write: Writer, client_text: str, replace: str, by: str
) -> None:
    assert replace in client_text
    write("clients/acme.yaml", client_text.replace(replace, by))
    env = {"ACME_CLIENT_ID": "1000.X", "ACME_CLIENT_SECRET": SECRET}

    error = client_error(config_dir, env)

    for text in (str(error), repr(error), *(p.message for p in error.problems)):
        assert SECRET not in text
        assert "s3cr3t" not in text
    # the traceback must not chain to pydantic or YAML errors, which echo the input
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_an_smtp_password_is_not_shown_in_errors_or_reprs(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    env = {**env, "SMTP_PASSWORD": SECRET}
    write(
        "clients/acme.yaml",
        client_text
        + "mail:\n  smtp_host: smtp.example.com\n  smtp_port: x\n  password: ${SMTP_PASSWORD}\n"
        + "  username: u\n  from: ar@acme.example\n",
    )

    error = client_error(config_dir, env)
    assert error.key_path == "mail.smtp_port"
    assert SECRET not in str(error)

    write(
        "clients/acme.yaml",
        client_text
        + "mail:\n  smtp_host: smtp.example.com\n  password: ${SMTP_PASSWORD}\n"
        + "  username: u\n  from: ar@acme.example\n",
    )
    client = load_client(config_dir, "acme", env)
    assert SECRET not in repr(client)
    assert SECRET not in str(client.model_dump())


def test_a_config_error_survives_pickling_for_worker_processes() -> None:
    import pickle

    other = ConfigError(Path("c/x.yaml"), "c", "worse")
    error = ConfigError(Path("c/x.yaml"), "a.b", "bad", 3, [other])

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object

    assert str(copy) == str(error) == "c/x.yaml: a.b: bad (line 3)\nc/x.yaml: c: worse"
