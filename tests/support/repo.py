"""The repository's root, for tests that read its files (README, pyproject.toml, templates) or
build from it, wherever the test itself sits under tests/."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
