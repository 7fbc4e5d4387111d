"""The container image installs the package the tests run: checked without a Docker engine.

The Dockerfile builds a wheel of this tree with `pip wheel . --no-deps` and installs it. This test
reads the Dockerfile's instructions, builds the same wheel, and checks that the wheel is the
installed distribution (name, version, `dunning` console script) with every module and package
data file of the tree, that the image's entrypoint is that console script running `serve`, and
the container promises (slim base, non-root user, volumes, HEALTHCHECK on /healthz).
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import json
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from repo import REPO as ROOT


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += " " + line.rstrip("\\").strip() if current else line.rstrip("\\").strip()
        if not line.endswith("\\"):
            lines.append(current)
            current = ""
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # built from a copy of what the image's build stage copies, as `docker build` does: a
    # `build/` left in the checkout by an earlier build cannot leak into it, and the checkout
    # is left as it was
    source = tmp_path_factory.mktemp("source")
    junk = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("connector", "adapters"):
        shutil.copytree(ROOT / name, source / name, ignore=junk)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"pip wheel . --no-deps failed:\n{result.stderr[-3000:]}"
    wheels = list(out.glob("dunning_connector-*.whl"))
    assert len(wheels) == 1, f"expected one dunning_connector wheel, got {wheels}"
    return wheels[0]


def test_the_dockerfile_builds_and_installs_the_projects_wheel() -> None:
    steps = instructions()
    runs = [args for op, args in steps if op == "RUN"]
    assert any("pip wheel" in r and "--no-deps" in r and r.rstrip().endswith(" .") for r in runs)
    copied = {
        src
        for op, args in steps
        if op == "COPY" and "--from" not in args
        for src in shlex.split(args)[:-1]
    }
    for needed in ("pyproject.toml", "README.md", "connector", "adapters"):
        assert needed in copied, f"the build stage does not copy {needed}"
    final_runs = [args for op, args in final_stage() if op == "RUN"]
    assert any(
        "pip install" in r and "dunning_connector-" in r and ".whl" in r for r in final_runs
    ), "the image does not install the built wheel"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "connector" not in ignored and "adapters" not in ignored


def test_the_wheel_is_the_installed_package_with_every_module_and_data_file(wheel: Path) -> None:
    installed = importlib.metadata.distribution("dunning-connector")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    assert f"Name: {installed.metadata['Name']}" in metadata
    assert f"Version: {installed.version}" in metadata
    assert "dunning = connector.cli:main" in entry_points
    assert any(
        ep.name == "dunning" and ep.value == "connector.cli:main" for ep in installed.entry_points
    ), "the installed package has no dunning script"

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data_patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    expected = set()
    for top in ("connector", "adapters"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py" or any(fnmatch.fnmatch(path.name, p) for p in data_patterns):
                expected.add(path.relative_to(ROOT).as_posix())
    missing = sorted(expected - names)
    assert not missing, f"the image's wheel lacks files the tests use: {missing[:20]}"
    assert any(n.startswith("connector/store/migrations/versions/0002_") for n in names)


def test_the_wheel_and_the_image_hold_no_sandbox_code(wheel: Path) -> None:
    # The fakes of Zoho and Exact are the sandboxes distribution (sandboxes/), installed beside
    # the product for the demo and the tests; the product's wheel, and so the image, has none of
    # them, nor their SMTP server dependency.
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist_info}/METADATA").decode()
    modules = [n for n in names if n.endswith(".py")]
    assert any(n.startswith("adapters/zoho/") for n in modules)
    assert any(n.startswith("adapters/exact/") for n in modules)
    sandbox_code = [n for n in names if "sandbox" in n.lower()]
    assert not sandbox_code, f"the product's wheel holds sandbox code: {sandbox_code[:10]}"
    runtime = [
        line
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert not [r for r in runtime if "aiosmtpd" in r], runtime
    copied = [
        src
        for op, args in instructions()
        if op == "COPY" and "--from" not in args
        for src in shlex.split(args)[:-1]
    ]
    assert not [c for c in copied if "sandbox" in c], copied
    assert "sandboxes" in (ROOT / ".dockerignore").read_text().split()
    locked = (ROOT / "requirements.lock").read_text()
    assert "aiosmtpd" not in locked, "the image's lock file still installs aiosmtpd"


def test_the_container_runs_dunning_serve_as_a_non_root_user_with_volumes_and_healthcheck() -> None:
    stage = final_stage()
    base = stage[0][1]
    assert base.startswith("python:3.11-slim"), f"not a slim Python base: {base}"
    users = [args for op, args in stage if op == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image runs as root"
    volumes = next(json.loads(args) for op, args in stage if op == "VOLUME")
    assert {"/config", "/data"} <= set(volumes)
    health = next(args for op, args in stage if op == "HEALTHCHECK")
    env = " ".join(args for op, args in stage if op == "ENV")
    assert "/healthz" in health + env
    entrypoint = next(json.loads(args) for op, args in stage if op == "ENTRYPOINT")
    cmd = next(json.loads(args) for op, args in stage if op == "CMD")
    # the entrypoint checks the mounted files' permissions, then runs `dunning serve`
    assert entrypoint + cmd == ["python", "-m", "connector.serve.container", "serve"]


def test_compose_example_runs_serve_against_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres")
    app = services["dunning"]
    assert app["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    mounts = " ".join(app["volumes"])
    assert ":/config" in mounts and ":/data" in mounts
