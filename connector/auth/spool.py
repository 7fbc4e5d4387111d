"""A local, fsynced, encrypted copy of a rotated token answer until the database holds it.

Platforms that rotate refresh tokens (Exact Online) hand out the only copy of the next refresh
token in the token answer. The TokenManager writes that answer here *before* it commits it to
the database, and removes the file once the commit succeeded. If the process dies in between,
or the database stays unreachable past the commit retries, the file is what the next start
(`recover_answers`, before any refresh) commits, so the chain is not lost while the disk works.

Each answer is one file, written to a temporary name, fsynced, renamed into place, and the
folder fsynced (so the rename itself survives a power cut); mode 0600 in a 0700 folder. The
content is encrypted with the token store's key (the same `Cipher`), so the file is as safe as
the database column it stands in for. File names carry a hash of (client, connection), never a
token.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("connector.auth.spool")

SUFFIX = ".token"


class SpoolCipher(Protocol):
    def encrypt(self, plain: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


def _key(tenant: str, connection: str) -> str:
    return hashlib.sha256(f"{tenant}\0{connection}".encode()).hexdigest()[:16]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TokenSpool:
    """One folder of pending token answers (see the module docstring)."""

    def __init__(self, folder: Path, cipher: SpoolCipher) -> None:
        self.folder = Path(folder)
        self.cipher = cipher

    def __repr__(self) -> str:
        return f"TokenSpool({str(self.folder)!r})"

    def write(self, tenant: str, connection: str, payload: Mapping[str, Any]) -> Path:
        """Store `payload` durably (fsync of file and folder) and return its path."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = dict(payload, tenant=tenant, connection=connection)
        data = self.cipher.encrypt(json.dumps(body, default=str)).encode()
        name = f"{_key(tenant, connection)}.{time.time_ns():020d}.{uuid.uuid4().hex[:8]}"
        temp = self.folder / f".{name}.tmp"
        final = self.folder / f"{name}{SUFFIX}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
        _fsync_dir(self.folder)
        return final

    def pending(self, tenant: str, connection: str) -> list[tuple[Path, dict[str, Any]]]:
        """The answers kept for (tenant, connection), oldest first; unreadable files are logged
        and left in place (a wrong key must not destroy them)."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob(f"{_key(tenant, connection)}.*{SUFFIX}")):
            payload = self._read(path)
            if payload is not None:
                out.append((path, payload))
        return out

    def everything(self) -> list[tuple[Path, dict[str, Any]]]:
        """Every readable answer in the folder (each names its tenant and connection)."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            payload = self._read(path)
            if payload is not None:
                out.append((path, payload))
        return out

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            payload = json.loads(self.cipher.decrypt(path.read_text().strip()))
        except Exception as exc:  # a torn or foreign file: keep it for a human, say so
            log.error("token file %s cannot be read (%s); left in place", path.name, exc)
            return None
        return payload if isinstance(payload, dict) else None

    def remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        with contextlib.suppress(FileNotFoundError):
            _fsync_dir(self.folder)


ENV_FOLDER = "DUNNING_TOKEN_SPOOL"


def spool_folder(config_dir: Path, database_url: str, env: Mapping[str, str]) -> Path:
    """Where an installation keeps its local token files: `DUNNING_TOKEN_SPOOL`, else beside a
    SQLite database file, else ``data/token-spool`` under the configuration directory. It must be
    the same folder at every start of this machine's processes (recovery reads it)."""
    if env.get(ENV_FOLDER):
        return Path(env[ENV_FOLDER])
    from sqlalchemy.engine import make_url

    try:
        url = make_url(database_url)
    except Exception:
        url = None
    if url is not None and url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:":
            return Path(database).resolve().parent / "token-spool"
    return Path(config_dir) / "data" / "token-spool"
