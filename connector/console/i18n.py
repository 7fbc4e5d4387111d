"""The console's words in Dutch and English: `_()` in templates, gettext-style.

The English text is the key; its Dutch is in `messages/*.yaml` (one file per page or helper,
English → Dutch, so pages added in parallel never edit one shared file). A text without a Dutch
entry is shown in English (a test lists the ones the templates use without a translation).
Placeholders are `%(name)s`, filled from keyword arguments after translating.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


@functools.cache
def dutch() -> dict[str, str]:
    """Every English text of the console and its Dutch, from all message files."""
    catalogue: dict[str, str] = {}
    folder = resources.files("connector.console").joinpath("messages")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"console messages {entry.name}: expected English: Dutch pairs")
        for english, nl in data.items():
            if english in catalogue and catalogue[english] != nl:
                raise ValueError(
                    f"console messages {entry.name}: {english!r} is translated twice, "
                    f"differently ({catalogue[english]!r}, {nl!r})"
                )
            catalogue[str(english)] = str(nl)
    return catalogue


def translate(language: str, text: str, **values: Any) -> str:
    """`text` in `language` (Dutch from the catalogue, else the English), placeholders filled."""
    words = dutch().get(text, text) if language == "nl" else text
    return words % values if values else words


def translator(language: str) -> Any:
    """The `_` of one page: `_("Clients")`, `_("%(n)s waiting", n=3)`."""

    def _(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return _
