"""Fixtures for configuration tests (a config directory under a temporary working directory),
shared with the other config folder through tests/support."""

from config_fixtures import client_text, config_dir, env, write

__all__ = ["client_text", "config_dir", "env", "write"]
