"""One clock, one reader of the environment: product code asks neither the system nor `os`.

The time comes from a `connector.domain.clock.Clock` handed in (tests and the demo travel through
time by setting it), and environment variables are read only in `connector.config` (everything else
is handed a mapping). These tests read the product's source, so a new `datetime.now()` or
`os.environ` elsewhere fails here rather than in a flaky test months later. Sandboxes (fake
platforms, not product) are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from repo import REPO

PRODUCT = ("connector", "adapters")

#: calls that read the system clock; `time.monotonic` stays allowed for pacing and heartbeats
CLOCK_CALLS = {
    ("time", "time"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}


def _product_modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PRODUCT:
        for file in sorted((REPO / package).rglob("*.py")):
            relative = file.relative_to(REPO).as_posix()
            if "sandbox" in relative:
                continue
            yield relative, ast.parse(file.read_text(encoding="utf-8"), relative)


def _dotted(node: ast.expr) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def test_only_the_clock_module_reads_the_system_clock() -> None:
    found = [
        f"{path}:{node.lineno}: {'.'.join(_dotted(node.func))}()"
        for path, tree in _product_modules()
        if path != "connector/domain/clock.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _dotted(node.func)[-2:] in CLOCK_CALLS
    ]
    assert found == [], "use the injected Clock instead:\n" + "\n".join(found)


def test_only_connector_config_reads_the_environment() -> None:
    found = [
        f"{path}:{node.lineno}: {'.'.join(_dotted(node))}"
        for path, tree in _product_modules()
        if not path.startswith("connector/config/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and _dotted(node)[-2:] in {("os", "environ"), ("os", "getenv"), ("os", "environb")}
    ]
    assert found == [], "take an env mapping from connector.config instead:\n" + "\n".join(found)


def test_there_is_one_postal_address() -> None:
    defined = [
        f"{path}:{node.lineno}"
        for path, tree in _product_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "postal_address"
    ]
    assert len(defined) == 1, defined
