"""The account customers pay into is checked when the configuration is loaded (issue #16): a
mistyped IBAN is a located error, never a reminder that sends the money elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from connector.config import load_config

Writer = Callable[[str, str], Path]


def test_a_valid_iban_is_kept_in_its_compact_form_and_the_holder_defaults_to_the_sender(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "  iban: nl91 abna 0417 1643 00\n")

    sender = load_config(config_dir, env).clients["acme"].sender

    assert sender.iban == "NL91ABNA0417164300"
    assert sender.as_dict()["iban"] == "NL91 ABNA 0417 1643 00"
    assert sender.as_dict()["account_holder"] == "Acme"


def test_a_mistyped_iban_names_the_file_the_key_and_the_line_but_not_the_value(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "  iban: NL91ABNA0417164301\n")

    error = load_config(config_dir, env).errors["acme"]

    assert error.file == Path("config/clients/acme.yaml")
    assert error.key_path == "sender.iban"
    assert error.line == 11
    assert "mod-97" in str(error)
    assert "0417164301" not in str(error)


def test_an_iban_of_the_wrong_length_for_its_country_is_refused(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "  iban: NL91ABNA04171643\n")

    error = load_config(config_dir, env).errors["acme"]

    assert error.key_path == "sender.iban"
    assert "18 characters" in str(error)


def test_a_bic_must_look_like_one(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "  iban: NL91ABNA0417164300\n  bic: ABN\n")

    error = load_config(config_dir, env).errors["acme"]

    assert error.key_path == "sender.bic"
