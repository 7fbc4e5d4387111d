"""Browser tests of the console: see tests/support/console_browser.py (`dunning console` over two
sandbox clients, headless Chromium through Debian's chromedriver, `login`, `screenshot`)."""

from console_browser import (
    _browser,
    console_log,
    console_process,
    console_url,
    console_world,
    driver,
)

__all__ = [
    "_browser",
    "console_log",
    "console_process",
    "console_url",
    "console_world",
    "driver",
]
