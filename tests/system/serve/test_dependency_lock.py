"""The dependencies are locked: exact versions with hashes, the image and `make test` install
from the lock, and the lock satisfies what pyproject.toml asks for."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from repo import REPO as ROOT

_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)")


def locked(name: str) -> dict[str, str]:
    """name -> version of a lock file, checking that every entry is pinned and hashed."""
    text = (ROOT / name).read_text()
    entries: dict[str, str] = {}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    for block in blocks:
        first = block.strip().splitlines()[0] if block.strip() else ""
        if not first or first.startswith("#"):
            continue
        match = _PIN.match(first)
        assert match, f"{name}: not pinned with ==: {first}"
        assert "--hash=sha256:" in block, f"{name}: {match.group(1)} has no hash"
        entries[canonicalize_name(match.group(1))] = match.group(2)
    return entries


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"": data["dependencies"], **data["optional-dependencies"]}


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("requirements.lock", ("", "postgres")), ("requirements-dev.lock", ("", "postgres", "test"))],
)
def test_each_lock_pins_and_hashes_every_dependency_the_project_declares(
    lock: str, groups: tuple[str, ...]
) -> None:
    pins = locked(lock)
    for group in groups:
        for spec in project()[group]:
            req = Requirement(spec)
            name = canonicalize_name(req.name)
            assert name in pins, f"{lock}: {req.name} ({group or 'runtime'}) is not locked"
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"{lock}: {req.name}=={pins[name]} does not satisfy {req.specifier}"
            )


def test_the_image_and_make_install_from_the_locks() -> None:
    docker = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r /tmp/requirements.lock" in docker
    assert re.search(r"pip install [^\n]*--no-deps \"\$\{whl\}\"", docker)
    make = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in make
    assert "pip install -q --no-deps -e ." in make
