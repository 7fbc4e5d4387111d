"""connector.yaml's `console:` section: where `dunning serve` runs the web console, and the
address people reach it by (https makes the session cookie Secure)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connector.config import ConfigError, load_config

Writer = Callable[[str, str], Path]


def test_the_console_is_off_unless_its_section_is_there(config_dir: Path) -> None:
    assert load_config(config_dir, {}).connector.console is None


def test_a_console_section_gives_its_address_and_whether_it_is_https(
    config_dir: Path, write: Writer
) -> None:
    write(
        "connector.yaml",
        "console:\n  listen: 127.0.0.1:8080\n  public_url: https://dunning.example.nl/\n",
    )
    console = load_config(config_dir, {}).connector.console
    assert console is not None
    assert console.public_url == "https://dunning.example.nl" and console.secure
    write("connector.yaml", "console: {public_url: 'http://127.0.0.1:8080'}\n")
    console = load_config(config_dir, {}).connector.console
    assert console is not None and not console.secure and console.listen == "127.0.0.1:8080"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "console:\n  listen: localhost\n",
            "config/connector.yaml: console.listen: expected HOST:PORT, e.g. 127.0.0.1:8089 "
            "(line 2)",
        ),
        (
            "console:\n  public_url: dunning.example.nl\n",
            "config/connector.yaml: console.public_url: expected the console's address, "
            "e.g. https://dunning.example.nl (line 2)",
        ),
        (
            "console:\n  listen: 127.0.0.1:8089\n",
            "config/connector.yaml: console.listen: the console needs its own port, apart from "
            "http.listen (metrics) (line 2)",
        ),
        (
            "console:\n  listen: 127.0.0.1:8080\n  port: 1\n",
            "config/connector.yaml: console.port: unknown key (expected one of: listen, "
            "page_link_days, public_url) (line 3)",
        ),
    ],
)
def test_a_wrong_console_section_is_named_with_its_key_and_line(
    config_dir: Path, write: Writer, text: str, message: str
) -> None:
    write("connector.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir, {})
    assert str(caught.value) == message
