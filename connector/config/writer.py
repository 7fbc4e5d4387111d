"""Writing client files from the web console: a new client, and the choices made when connecting.

A client file is the truth of what the connector follows, so the console writes one only after
it passes the loader's own validation (the same messages, each located by key and line, the same
refusal of literal secrets, the same "one ledger, one client file" rule), and never over a file
someone else wrote:

* `create_client_file` creates ``clients/<slug>.yaml`` atomically and only if it does not exist:
  the candidate is written and fsynced under a hidden name (the loader skips hidden files),
  validated, then hard-linked to its name, which fails when the name is taken (like
  ``O_CREAT|O_EXCL``, but the file appears complete or not at all). Mode 0600, like `dunning init`.
* `update_client_section` sets or removes keys of one section (e.g. ``exact.division`` picked
  after consent) in place: only the text of those keys changes (comments and the rest of the
  file stay as written), the result is validated, then it replaces the file atomically.

Secrets are never values here: a secret key must be a ``${NAME}`` reference (`env_reference`),
the loader refuses anything else.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from connector.config.errors import ConfigError
from connector.config.loader import CLIENTS_DIR, ledger_keys, load_client, load_config
from connector.config.models import SLUG_PATTERN, ClientConfig

#: an environment variable's name as a ``${NAME}`` reference accepts it
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClientFileExists(ConfigError):
    """A client file of that name exists already; it is never overwritten."""


def env_reference(name: str) -> str:
    """``${NAME}`` for a secret's environment variable.

    Raises:
        ValueError: not a variable name (letters, digits and '_', not starting with a digit).
    """
    name = name.strip()
    if not ENV_NAME.match(name):
        raise ValueError(
            "expected the name of an environment variable (letters, digits and '_'), "
            "e.g. ACME_CLIENT_SECRET"
        )
    return "${" + name + "}"


def client_file(config_dir: Path, slug: str) -> Path:
    return Path(config_dir) / CLIENTS_DIR / f"{slug}.yaml"


def create_client_file(
    config_dir: Path,
    slug: str,
    data: Mapping[str, Any],
    env: Mapping[str, str] = os.environ,
    *,
    header: str = "",
) -> ClientConfig:
    """Write ``clients/<slug>.yaml`` from `data` (the file's keys) if it passes the loader.

    `header`: comment lines put at the top (without ``#``).

    Raises:
        ClientFileExists: the file exists (it is left as it was).
        ConfigError: the name or the content is invalid (every problem, located); nothing is
            written.
    """
    target = client_file(config_dir, slug)
    if not SLUG_PATTERN.match(slug):
        raise ConfigError(
            target,
            "",
            f"{slug!r} is not a valid client name: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit",
        )
    if target.exists():
        raise ClientFileExists(target, "", "a client of that name exists already")
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    text = comment + yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _candidate(target, text) as candidate:
        client = _validated(config_dir, slug, candidate, env)
        try:
            os.link(candidate, target)  # atomic, and refuses an existing name
        except FileExistsError:
            raise ClientFileExists(target, "", "a client of that name exists already") from None
    return client


def update_client_section(
    config_dir: Path,
    slug: str,
    section: str,
    values: Mapping[str, Any],
    env: Mapping[str, str] = os.environ,
) -> ClientConfig:
    """Set (or, for None, remove) keys of the top-level mapping `section` of a client file,
    keeping the rest of its text; validated like the loader, then replaced atomically.

    Raises:
        ConfigError: the file is missing or has no such section, or the result is invalid.
    """
    target = client_file(config_dir, slug)
    if not values:
        return load_client(config_dir, slug, env)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(target, "", "no such client file") from None
    text = _edit_section(target, text, section, values)
    with _candidate(target, text) as candidate:
        client = _validated(config_dir, slug, candidate, env)
        os.replace(candidate, target)
    return client


# -- internals --------------------------------------------------------------------------------
@contextlib.contextmanager
def _candidate(target: Path, text: str) -> Any:
    """A hidden, fsynced file beside `target` holding `text`; removed unless it was moved."""
    candidate = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.new")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        yield candidate
    finally:
        candidate.unlink(missing_ok=True)


def _validated(
    config_dir: Path, slug: str, candidate: Path, env: Mapping[str, str]
) -> ClientConfig:
    """The candidate as the loader would read it as ``clients/<slug>.yaml``, and, when enabled,
    on no ledger another enabled client file follows (the loader's double-dunning rule)."""
    client = load_client(config_dir, slug, env, text_from=candidate)
    if not client.enabled:
        return client
    mine = {who.lower().rstrip("/"): (key, who) for key, who in ledger_keys(client)}
    for other, cfg in sorted(load_config(config_dir, env).enabled.items()):
        if other == slug:
            continue
        for _, who in ledger_keys(cfg):
            if who.lower().rstrip("/") in mine:
                key, _ = mine[who.lower().rstrip("/")]
                raise ConfigError(
                    client_file(config_dir, slug),
                    key,
                    f"{who} is already followed by {CLIENTS_DIR}/{other}.yaml; two client "
                    "files on one ledger would dun the same customers twice",
                )
    return client


def _line_end(text: str, index: int) -> int:
    """Index just past the line holding `index` (a node ending at a line start ends there)."""
    line_start = text.rfind("\n", 0, index) + 1
    if not text[line_start:index].strip():  # a block node ends where the next key begins
        return line_start
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1


def _scalar(value: Any) -> str:
    """`value` as YAML flow text (one line)."""
    return (
        yaml.safe_dump(value, default_flow_style=True, width=1 << 16)
        .removesuffix("\n...\n")
        .strip()
    )


def _edit_section(file: Path, text: str, section: str, values: Mapping[str, Any]) -> str:
    """Replace, remove or add the keys of `section` in the YAML text, touching nothing else."""
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(file, "", "the top level must be a mapping of keys to values")
    body = next((v for k, v in root.value if str(k.value) == section), None)
    if not isinstance(body, yaml.MappingNode) or body.flow_style:
        raise ConfigError(file, section, "expected a block mapping section to update")
    indent = body.value[0][0].start_mark.column if body.value else 2
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) on `text`
    for key, value in values.items():
        found = next(((k, v) for k, v in body.value if str(k.value) == key), None)
        if found is not None:
            start = text.rfind("\n", 0, found[0].start_mark.index) + 1
            end = _line_end(text, found[1].end_mark.index)
            replacement = "" if value is None else f"{' ' * indent}{key}: {_scalar(value)}\n"
            edits.append((start, end, replacement))
        elif value is not None:
            at = _line_end(text, body.value[-1][1].end_mark.index)
            prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
            edits.append((at, at, f"{prefix}{' ' * indent}{key}: {_scalar(value)}\n"))
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
