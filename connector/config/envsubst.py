"""`${VAR}` references in configuration values, the borgmatic way.

- ``${NAME}``: the variable's value; unset is an error (reported by the loader with the file, key
  path and variable name).
- ``${NAME:-default}``: the default when the variable is unset *or empty* (shell ``:-``).
- ``\\${NAME}``: the literal text ``${NAME}``. In YAML write it in a plain or single-quoted
  scalar; in a double-quoted scalar ``\\$`` is not a valid escape.

Only string values are substituted, never keys; a substituted value is not substituted again.
A reference is resolved inside a longer string too (``postgresql://u:${PGPASS}@db/dunning``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"(?P<escaped>\\\$\{)"
    r"|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}"
    r"|(?P<bad>\$\{[^}]*\}?)"
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference found at `path` (dotted key path) that could not be resolved."""

    path: str
    variable: str
    problem: str  # "unset" | "malformed"


def substitute_string(text: str, env: Mapping[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """Resolve the references in one string.

    Unresolvable references stay as written, so a placeholder can still be parsed.

    Returns:
        The resulting text and a list of ``(variable or reference text, problem)``.
    """
    problems: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "${"
        if match.group("bad") is not None:
            problems.append((match.group("bad"), "malformed"))
            return match.group(0)
        name = match.group("name")
        default = match.group("default")
        value = env.get(name)
        if default is not None:
            return value if value else default
        if value is None:
            problems.append((name, "unset"))
            return match.group(0)
        return value

    if "${" not in text:
        return text, problems
    return _TOKEN.sub(replace, text), problems


def substitute(value: Any, env: Mapping[str, str], path: str = "") -> tuple[Any, list[Reference]]:
    """Resolve references in every string value of a YAML document (mappings, lists, scalars).

    Returns:
        A new structure and the references that could not be resolved, with their key paths.
    """
    found: list[Reference] = []

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, str):
            text, problems = substitute_string(node, env)
            found.extend(Reference(where, name, kind) for name, kind in problems)
            return text
        if isinstance(node, dict):
            return {k: walk(v, _join(where, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, _join(where, i)) for i, v in enumerate(node)]
        return node

    return walk(value, path), found


def _join(path: str, part: object) -> str:
    return f"{path}.{part}" if path else str(part)
