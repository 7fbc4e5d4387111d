"""Route tests of the console: see tests/support/console_support.py for the installation, its
users and `sign_in`."""

from console_support import browser, clock, console_app, console_ctx

__all__ = ["browser", "clock", "console_app", "console_ctx"]
