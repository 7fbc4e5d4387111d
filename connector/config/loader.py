"""Load and validate a configuration directory, with located errors.

Layout::

    <config dir>/connector.yaml        shared settings (ConnectorConfig)
    <config dir>/clients/<slug>.yaml   one file per client (ClientConfig); slug = file stem

A broken `connector.yaml` stops everything (`ConfigError`); a broken client file is reported in
`LoadedConfig.errors` and the other clients load (borgmatic's per-file isolation).

Each file is composed as a YAML node tree first, so every error can name the line of the failing
key (or of the mapping that lacks it). Messages never contain a configured value: pydantic's
``input_value`` is dropped and YAML parser errors are reduced to the parser's problem text.

Environment references (`connector.config.envsubst`) are resolved in string values. A missing
variable is an error, except in a client with ``enabled: false``: such a client may be committed
with references to variables that are not set yet (the `init` sample does). The reference stays as
literal text, the structure is still validated, and the names are listed in
`ClientConfig.unresolved_env` and `LoadedConfig.unresolved`. Nothing may use such a client's
settings until it is enabled, at which point the missing variables are errors again.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from connector.config.environment import ENV_CONFIG_DIR, ENV_DATABASE_URL
from connector.config.envsubst import Reference, substitute, substitute_string
from connector.config.errors import ConfigError
from connector.config.models import (
    SLUG_PATTERN,
    ClientConfig,
    ConnectorConfig,
    KeyRuleError,
    client_model,
    connector_model,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

CONNECTOR_FILE = "connector.yaml"
CLIENTS_DIR = "clients"
DEFAULT_CONFIG_DIR = "config"

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration directory.

    Attributes:
        dir: The configuration directory, as given.
        connector: `connector.yaml`, with effective (absolute) `database_url` and
            `secret_key_file`.
        clients: Valid client files by slug (enabled or not).
        errors: Client files that failed, by slug (file stem); the others are unaffected.
        unresolved: For disabled clients only: ``key.path (VARIABLE)`` still unresolved.
    """

    dir: Path
    connector: ConnectorConfig
    clients: dict[str, ClientConfig]
    errors: dict[str, ConfigError] = field(default_factory=dict)
    unresolved: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def enabled(self) -> dict[str, ClientConfig]:
        """The valid, enabled clients by slug."""
        return {slug: c for slug, c in self.clients.items() if c.enabled}


class Installation(Protocol):
    """An opened installation as the outputs read it: the loaded configuration and the store's
    engine. `connector.app.App` is one; the client report and the sample documents take this
    rather than the App, so the outputs do not import the engine (the layers contract)."""

    @property
    def config(self) -> LoadedConfig: ...

    @property
    def engine(self) -> Engine: ...


def resolve_config_dir(option: str | None, env: Mapping[str, str] = os.environ) -> Path:
    """``--config DIR``, else env ``DUNNING_CONFIG``, else ``./config``."""
    if option:
        return Path(option)
    if env.get(ENV_CONFIG_DIR):
        return Path(env[ENV_CONFIG_DIR])
    return Path(DEFAULT_CONFIG_DIR)


def client_slugs(config_dir: Path) -> list[str]:
    """Stems of ``clients/*.yaml``, sorted; hidden files are skipped.

    Stems that are not valid slugs are included (loading them reports why).
    """
    folder = Path(config_dir) / CLIENTS_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p.stem for p in folder.glob("*.yaml") if p.is_file() and not p.name.startswith(".")
    )


def load_config(config_dir: Path, env: Mapping[str, str] = os.environ) -> LoadedConfig:
    """Load `connector.yaml` and every client file.

    Raises:
        ConfigError: the directory or `connector.yaml` is missing or invalid.
    """
    config_dir = Path(config_dir)
    if not config_dir.is_dir():
        raise ConfigError(
            config_dir, "", f"configuration directory not found; run `dunning init {config_dir}`"
        )
    connector = load_connector(config_dir, env)
    clients: dict[str, ClientConfig] = {}
    errors: dict[str, ConfigError] = {}
    unresolved: dict[str, tuple[str, ...]] = {}
    for slug in client_slugs(config_dir):
        try:
            client = load_client(config_dir, slug, env)
        except ConfigError as exc:
            errors[slug] = exc
            continue
        clients[slug] = client
        if client.unresolved_env:
            unresolved[slug] = client.unresolved_env
    folder = config_dir / CLIENTS_DIR
    if folder.is_dir():
        for wrong in sorted(folder.glob("*.yml")):
            if wrong.stem not in clients and wrong.stem not in errors:
                errors[wrong.stem] = ConfigError(
                    wrong, "", f"client files must end in .yaml: rename it to {wrong.stem}.yaml"
                )
    for slug, error in _same_ledger_twice(config_dir, clients).items():
        errors[slug] = error
        del clients[slug]
        unresolved.pop(slug, None)
    return LoadedConfig(config_dir, connector, clients, errors, unresolved)


def ledger_keys(client: ClientConfig) -> list[tuple[str, str]]:
    """What a client file follows, one (key path, identity) per organisation or division: two
    enabled client files with one identity would dun the same customers twice."""
    from connector.platforms.registry import platforms

    platform = platforms().get(client.platform)
    settings = client.settings
    if platform is None or settings is None:
        return []
    return [(f"{client.platform}.{key}", who) for key, who in platform.ledger_keys(settings)]


def _same_ledger_twice(
    config_dir: Path, clients: Mapping[str, ClientConfig]
) -> dict[str, ConfigError]:
    """Enabled client files (in name order) following an organisation or division an earlier
    one follows already: each is refused, naming both files."""
    first: dict[str, str] = {}
    refused: dict[str, ConfigError] = {}
    for slug in sorted(clients):
        client = clients[slug]
        if not client.enabled:
            continue
        for key_path, identity in ledger_keys(client):
            owner = first.setdefault(identity.lower().rstrip("/"), slug)
            if owner != slug and slug not in refused:
                refused[slug] = ConfigError(
                    Path(config_dir) / CLIENTS_DIR / f"{slug}.yaml",
                    key_path,
                    f"{identity} is already followed by {CLIENTS_DIR}/{owner}.yaml; two client "
                    "files on one ledger would dun the same customers twice (keep one, or set "
                    "enabled: false)",
                )
    return refused


def load_connector(config_dir: Path, env: Mapping[str, str] = os.environ) -> ConnectorConfig:
    """`connector.yaml` with env overrides applied and relative paths resolved.

    ``DATABASE_URL`` in the environment replaces `database_url`. A relative SQLite path
    (``sqlite:///data/dunning.db``) and a relative `secret_key_file` are taken relative to the
    configuration directory, so the service behaves the same whatever its working directory.
    """
    config_dir = Path(config_dir)
    file = config_dir / CONNECTOR_FILE
    if not file.exists():
        raise ConfigError(file, "", f"not found; run `dunning init {config_dir}` to create one")
    doc = _read(file)
    data, refs = substitute(doc.data, env)
    override = env.get(ENV_DATABASE_URL)
    if override:
        data["database_url"] = override
        refs = [r for r in refs if r.path != "database_url"]
    problems = [_reference_error(doc, r) for r in refs]
    literal = literal_secrets(doc)
    problems += literal
    bad_paths = {r.path for r in refs} | {p.key_path for p in literal}
    connector, invalid = _validate(connector_model(), doc, data, bad_paths)
    problems += invalid
    if problems or connector is None:
        raise _combine(problems)
    key_file = Path(connector.secret_key_file)
    if not key_file.is_absolute():
        key_file = (config_dir / key_file).resolve()
    return connector.model_copy(
        update={
            "database_url": resolve_sqlite_url(connector.database_url, config_dir),
            "secret_key_file": str(key_file),
        }
    )


#: keys whose value is a secret: it must come from the environment, never sit in the file (a
#: configuration directory is copied, committed and mounted; the environment is the one place)
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "password",
        "webhook_secret",
        "refresh_token",
        "access_token",
        "token",
        "api_key",
    }
)
_REFERENCE_ONLY = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


_URL_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)@")


def _literal_password(value: Any) -> bool:
    """A database URL with a password that is not exactly one ``${NAME}`` reference."""
    if not isinstance(value, str):
        return False
    found = _URL_USERINFO.match(value.strip())
    if found is None or ":" not in found.group(1):
        return False
    password = found.group(1).split(":", 1)[1]
    return bool(password) and not _REFERENCE_ONLY.fullmatch(password)


def literal_secrets(doc: _Doc) -> list[ConfigError]:
    """A located error for each secret key whose value is not exactly one ``${NAME}``."""
    found: list[ConfigError] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                path = f"{where}.{key}" if where else str(key)
                if str(key) == "database_url" and _literal_password(value):
                    found.append(
                        ConfigError(
                            doc.file,
                            path,
                            "the database password must not be written in the file: write it "
                            "as a reference, e.g. postgresql+psycopg://dunning:${DB_PASSWORD}@db/"
                            "dunning, or set DATABASE_URL in the environment",
                            doc.line(path),
                        )
                    )
                    continue
                if str(key) in SECRET_KEYS and value is not None:
                    if not (isinstance(value, str) and _REFERENCE_ONLY.fullmatch(value.strip())):
                        found.append(
                            ConfigError(
                                doc.file,
                                path,
                                "a secret must not be written in the file: use an environment "
                                "reference such as ${ACME_CLIENT_SECRET} and set that variable",
                                doc.line(path),
                            )
                        )
                    continue
                walk(value, path)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}.{i}" if where else str(i))

    walk(doc.data, "")
    return found


def resolve_sqlite_url(url: str, config_dir: Path) -> str:
    """Make a relative SQLite database path absolute against `config_dir`; other URLs unchanged."""
    match = re.match(r"^(sqlite(?:\+\w+)?:///)([^?]*)(.*)$", url)
    if match is None:
        return url
    prefix, path, query = match.groups()
    if not path or path == ":memory:" or path.startswith("/") or Path(path).is_absolute():
        return url
    return prefix + str((Path(config_dir) / path).resolve()) + query


def load_client(
    config_dir: Path,
    slug: str,
    env: Mapping[str, str] = os.environ,
    *,
    text_from: Path | None = None,
) -> ClientConfig:
    """Load and validate ``clients/<slug>.yaml``.

    `text_from`: read the content from this file instead (a candidate about to become the
    client file, `connector.config.writer`); the errors still name the client file.

    Raises:
        ConfigError: the file is missing, the name is not a valid slug, or the content is
            invalid; every problem in the file is included (`ConfigError.more`).
    """
    file = Path(config_dir) / CLIENTS_DIR / f"{slug}.yaml"
    if not SLUG_PATTERN.match(slug):
        raise ConfigError(
            file,
            "",
            f"{slug!r} is not a valid client name: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit",
        )
    if text_from is None and not file.exists():
        raise ConfigError(file, "", "no such client file")
    doc = _read(file) if text_from is None else _read(text_from, named=file)
    problems: list[ConfigError] = []

    enabled_raw = doc.data.get("enabled", True)
    if isinstance(enabled_raw, str):
        enabled_raw, enabled_problems = substitute_string(enabled_raw, env)
        problems += [
            _reference_error(doc, Reference("enabled", name, kind))
            for name, kind in enabled_problems
        ]
    enabled = _truthy(enabled_raw)

    data, refs = substitute(doc.data, env)
    bad_paths = {r.path for r in refs}
    if enabled:
        problems += [_reference_error(doc, r) for r in refs if r.path != "enabled"]
    literal = literal_secrets(doc)
    problems += literal
    reported = (bad_paths if enabled else set()) | {p.key_path for p in literal}
    platform = data.get("platform")
    model = client_model(platform if isinstance(platform, str) else None)
    client, invalid = _validate(model, doc, data, reported, refs)
    problems += invalid
    if problems or client is None:
        raise _combine(problems)
    client = _resolve_ca_file(client, doc, Path(config_dir))
    if refs and not enabled:
        client._unresolved_env = tuple(
            f"{r.path} ({r.variable})" for r in refs if r.problem == "unset"
        )
    return client


def _resolve_ca_file(client: ClientConfig, doc: _Doc, config_dir: Path) -> ClientConfig:
    """The inbox's `ca_file` as an absolute path (relative ones against the configuration
    directory), so the reader finds it whatever its working directory; a file that is not
    there is a located error now rather than a failed read in every run."""
    inbox = client.inbox
    if inbox is None or inbox.ca_file is None:
        return client
    ca = Path(inbox.ca_file).expanduser()
    if not ca.is_absolute():
        ca = (config_dir / ca).resolve()
    if not ca.is_file():
        raise ConfigError(
            doc.file, "inbox.ca_file", f"no such file: {ca}", doc.line("inbox.ca_file")
        )
    return client.model_copy(update={"inbox": inbox.model_copy(update={"ca_file": str(ca)})})


# -- internals --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Doc:
    file: Path
    root: yaml.Node
    data: dict[str, Any]

    def line(self, key_path: str) -> int | None:
        """The line of the key at `key_path`, or of the key holding the deepest existing mapping
        on the way (None when that is the document root)."""
        node: yaml.Node = self.root
        line: int | None = None
        for part in key_path.split(".") if key_path else []:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if str(key_node.value) == part:
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and part.isdigit():
                if int(part) >= len(node.value):
                    return line
                node = node.value[int(part)]
                line = node.start_mark.line + 1
            else:
                return line
        return line


#: libyaml's parser when PyYAML was built with it (ten times faster: a worker reads every
#: client file at start, 5,000 of them at a large firm); same nodes, marks and errors
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(source: Path, named: Path | None = None) -> _Doc:
    """Parse `source`; errors and the document name `named` (default: `source`)."""
    file = named or source
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(file, "", "cannot read: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read: {exc.strerror or exc}") from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ConfigError(file, "", "the file is empty")
        _check_duplicates(file, root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise ConfigError(
            file, "", f"invalid YAML: {problem}{context}", mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        reason = getattr(exc, "reason", None) or "invalid YAML"
        raise ConfigError(file, "", f"invalid YAML: {reason}") from None
    finally:
        loader.dispose()
    if data is None:
        raise ConfigError(file, "", "the file is empty")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise ConfigError(
            file, "", f"the top level must be a mapping of keys to values, found {kind}", 1
        )
    return _Doc(file, root, data)


def _check_duplicates(file: Path, node: yaml.Node, path: str = "") -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            where = f"{path}.{key}" if path else key
            if key in seen:
                raise ConfigError(file, where, "duplicate key", key_node.start_mark.line + 1)
            seen.add(key)
            _check_duplicates(file, value_node, where)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(file, item, f"{path}.{i}" if path else str(i))


def _truthy(value: Any) -> bool:
    try:
        return bool(TypeAdapter(bool).validate_python(value))
    except ValidationError:
        return True  # validation of the model reports the bad value


def _reference_error(doc: _Doc, ref: Reference) -> ConfigError:
    return ConfigError(doc.file, ref.path, _reference_message(ref), doc.line(ref.path))


def _reference_message(ref: Reference) -> str:
    if ref.problem == "malformed":
        return (
            "malformed environment reference: use ${NAME} or ${NAME:-default} "
            "(write \\${ for a literal ${)"
        )
    return f"environment variable {ref.variable} is not set"


def _validate(
    model: type[_M],
    doc: _Doc,
    data: dict[str, Any],
    reported: set[str],
    placeholders: list[Reference] | None = None,
) -> tuple[_M | None, list[ConfigError]]:
    """Validate `data`; errors at `reported` paths are dropped (already reported as unresolved
    references), errors at a placeholder's path say which variable is missing."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        by_path = {r.path: r for r in placeholders or []}
        problems: list[ConfigError] = []
        suggested: set[str] = set()  # "did you mean" targets: their "Field required" is noise
        for err in exc.errors(include_input=False, include_url=False):
            key_path, anchor, message, suggestion = _describe(model, err)
            if suggestion:
                suggested.add(suggestion)
            if key_path in reported:
                continue
            if key_path in by_path:
                message = _reference_message(by_path[key_path])
            problems.append(ConfigError(doc.file, key_path, message, doc.line(anchor)))
        problems = [
            p for p in problems if not (p.key_path in suggested and p.message == "Field required")
        ]
        return None, problems


def _describe(model: type[BaseModel], err: ErrorDetails) -> tuple[str, str, str, str | None]:
    """(key path, path whose line to show, message, suggested key path) for a pydantic error."""
    loc = [str(part) for part in err["loc"] if not _is_internal_loc(part)]
    key_path = ".".join(loc)
    anchor = key_path
    message = err["msg"]
    suggestion: str | None = None
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1) if loc and known else []
        if close:
            message += f" (did you mean {close[0]!r}?)"
            suggestion = ".".join([*loc[:-1], close[0]])
        elif known:
            message += f" (expected one of: {', '.join(sorted(known))})"
    elif isinstance(cause, KeyRuleError):
        prefix = f"{key_path}." if key_path else ""
        key_path, anchor, message = prefix + cause.key_path, prefix + cause.anchor, str(cause)
    elif err["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    return key_path, anchor, message, suggestion


def _is_internal_loc(part: str | int) -> bool:
    # pydantic names union branches and validator wrappers in `loc` ("function-after[...]").
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _known_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    """The keys the mapping at `loc` accepts (for a "did you mean" hint)."""
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(current, tuple):  # a dict's value type: `part` is a dict key
            current = current[0]
            continue
        fields = current.model_fields
        name = next((n for n, f in fields.items() if (f.alias or n) == part), None)
        if name is None:
            return []
        current = fields[name].annotation
    target = _model_in(current)
    if target is None or isinstance(target, tuple):
        return []
    return [f.alias or n for n, f in target.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | tuple[Any] | None:
    """The model inside ``X | None``; for ``dict[str, X]`` a 1-tuple with X."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return (args[1],)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _combine(problems: list[ConfigError]) -> ConfigError:
    ordered = sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)
    first, *rest = ordered
    return ConfigError(first.file, first.key_path, first.message, first.line, rest)


# -- other YAML files validated the same way (policies, issue #4) ------------------------------
YamlDocument = _Doc


def read_yaml_document(file: Path) -> YamlDocument:
    """Parse `file` as a YAML mapping whose keys can be located (`YamlDocument.line`).

    Raises:
        ConfigError: unreadable, invalid YAML, duplicate key, empty or not a mapping.
    """
    return _read(Path(file))


def validate_document(model: type[_M], doc: YamlDocument) -> _M:
    """Validate a document against `model` with the same located messages as client files.

    Raises:
        ConfigError: every problem in the file (`ConfigError.more`), with key path and line.
    """
    result, problems = _validate(model, doc, doc.data, set())
    if problems or result is None:
        raise _combine(problems)
    return result
