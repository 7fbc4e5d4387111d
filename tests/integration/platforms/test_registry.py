"""The registry loads what the entry points name, and a plugin that cannot be loaded is named
with the reason instead of taking the other platforms down."""

from __future__ import annotations

from importlib.metadata import EntryPoint

from connector.platforms.registry import GROUP, load_platforms, platforms


def test_the_products_platforms_are_installed_entry_points() -> None:
    assert {"zoho", "exact", "moneybird"} <= set(platforms())
    assert platforms()["exact"].title == "Exact Online"


def test_a_plugin_that_cannot_be_loaded_is_named_and_the_others_still_load() -> None:
    found = load_platforms(
        [
            EntryPoint("zoho", "adapters.zoho.platform:PLATFORM", GROUP),
            EntryPoint("gone", "no_such_plugin.platform:PLATFORM", GROUP),
            EntryPoint("odd", "adapters.zoho.platform:DAILY_CALLS", GROUP),
            EntryPoint("mail", "adapters.zoho.platform:PLATFORM", GROUP),
        ]
    )

    assert list(found.platforms) == ["zoho"]
    assert found.broken["gone"].startswith(
        "no_such_plugin.platform:PLATFORM cannot be loaded (ModuleNotFoundError"
    )
    assert (
        found.broken["odd"] == "adapters.zoho.platform:DAILY_CALLS is not the Platform named 'odd'"
    )
    assert "is not the Platform named 'mail'" in found.broken["mail"]
