"""The import contracts of pyproject.toml are enforced: breaking one makes `lint-imports` fail.

`make lint` runs the contracts on the real tree; these tests show they bite. Each copies the
packages the contracts cover into a temporary directory, adds one module that imports what its
layer must not, and runs `lint-imports` on the copy: the contract it breaks is reported broken
and the command fails. The untouched copy passes, so the failure is the planted import's doing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from repo import REPO

CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract_name(contract_id: str) -> str:
    for contract in CONFIG["contracts"]:
        if contract["id"] == contract_id:
            return str(contract["name"])
    raise AssertionError(f"pyproject.toml has no import contract {contract_id!r}")


#: where a root package's source is, when not at the top of the repository (the sandboxes are a
#: distribution of their own, in a src layout)
SOURCES = {"sandboxes": REPO / "sandboxes" / "src" / "sandboxes"}


def _copy_of_the_tree(tmp_path: Path) -> Path:
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            SOURCES.get(package, REPO / package),
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the editable install of the real tree.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_untouched_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint_imports(_copy_of_the_tree(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("contract_id", "package", "forbidden_import"),
    [
        ("domain", "connector/domain", "import connector.store"),
        ("domain", "connector/domain", "import connector.policy"),
        ("legal", "connector/legal", "import connector.config"),
        ("legal", "connector/legal", "import connector.policy"),
        ("policy", "connector/policy", "import connector.store"),
        ("policy", "connector/policy", "import adapters"),
        ("policy", "connector/policy", "from connector.config import ClientConfig"),
        ("store", "connector/store", "from connector.policy import model"),
        ("registry", "connector/serve", "from adapters.exact import webhook"),
        ("registry", "connector", "import adapters.zoho.platform"),
        ("no-sandboxes", "connector/store", "import sandboxes.world"),
        ("no-sandboxes", "connector/cli", "from sandboxes.zoho import ZohoState"),
        ("no-sandboxes", "adapters/zoho", "from sandboxes.kit import Router"),
        ("adapters-independent", "adapters/zoho", "import adapters.exact.mapping"),
        ("adapters-independent", "adapters/exact", "from adapters.zoho import errors"),
        ("layers", "connector/store", "from connector.run import run_tenant"),
        ("layers", "connector/http", "import connector.render"),
        ("layers", "connector/documents", "from connector import alerts"),
        ("layers", "connector/app", "from connector.status import plan"),
        ("layers", "connector/doctor", "import connector.cli"),
    ],
)
def test_an_import_across_the_layers_breaks_its_contract(
    tmp_path: Path, contract_id: str, package: str, forbidden_import: str
) -> None:
    tree = _copy_of_the_tree(tmp_path)
    (tree / package / "_planted_violation.py").write_text(f"{forbidden_import}\n", encoding="utf-8")

    result = _lint_imports(tree)

    assert result.returncode != 0, result.stdout
    assert f"{_contract_name(contract_id)} BROKEN" in result.stdout
    assert "_planted_violation" in result.stdout
