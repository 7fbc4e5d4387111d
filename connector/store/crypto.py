"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256), keys rotatable, each ciphertext bound to
its tenant and kind.

The keys come from `DUNNING_SECRET_KEY` or from a key file that `dunning init` creates with mode
0600: one key, or several (one per line in the file; separated by commas or spaces in the
variable). The first key encrypts; every key decrypts (`MultiFernet`), so `dunning keys rotate`
can put a new key first, re-encrypt every stored secret under it, and only then drop the old
one (`connector.store.keyrotation`). A key file changed on disk is read again by a running
process before its next encryption or decryption, so `serve` beside a rotation keeps working.

Binding: the authenticated plaintext starts with ``tenant`` and ``kind`` (e.g.
``refresh_token/default``), checked on decryption, so a ciphertext copied to another client's
row, or from the access-token column to the refresh-token column, fails with an error naming
both. Secrets stored before binding existed decrypt as they are (no tenant to check) until
`dunning keys rotate` rewrites them bound.

A wrong or missing key is a clear error that never shows the key.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# named in messages; the caller reads the environment (connector.config.environment)
from connector.config.environment import ENV_KEY as ENV_KEY

#: starts the plaintext of a bound secret: MAGIC tenant NUL kind NUL secret
MAGIC = b"\x00dunning-bound-1\x00"
_SEPARATORS = re.compile(r"[\s,]+")


class CipherError(Exception):
    """The secret key is missing, malformed, or does not decrypt what the store holds."""


class BindingError(CipherError):
    """A stored secret belongs to another tenant or kind than the row it was read from."""


def parse_keys(text: str | bytes | Sequence[str | bytes]) -> list[bytes]:
    """Keys from a variable/file text (commas, spaces or newlines between) or a list."""
    if isinstance(text, str | bytes):
        raw = text.decode() if isinstance(text, bytes) else text
        parts: list[str | bytes] = [p for p in _SEPARATORS.split(raw.strip()) if p]
    else:
        parts = list(text)
    keys = [p.encode() if isinstance(p, str) else p for p in parts]
    if not keys:
        raise CipherError("no secret key given")
    return keys


def _fernets(keys: Sequence[bytes]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise CipherError(
            "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc


def read_key_file(key_file: Path) -> list[bytes]:
    """The keys in a key file (first = current), refusing a file others can read."""
    mode = key_file.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CipherError(
            f"{key_file} is readable by others (mode {oct(mode & 0o777)}); "
            f"run `chmod 600 {key_file}`"
        )
    try:
        return parse_keys(key_file.read_text())
    except CipherError as exc:
        raise CipherError(f"{key_file}: {exc}") from exc


def write_key_file(path: Path, keys: Sequence[bytes]) -> None:
    """Replace the key file atomically (0600, written and synced before the rename)."""
    tmp = path.with_name(f".{path.name}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(k.decode() + "\n" for k in keys))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Cipher:
    def __init__(
        self, key: bytes | str | Sequence[str | bytes], *, key_file: Path | None = None
    ) -> None:
        self._keys = parse_keys(key)
        self._multi = _fernets(self._keys)
        self._key_file = key_file
        self._stamp = self._file_stamp()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "Cipher(***)"

    @classmethod
    def from_settings(cls, key_file: Path, env: Mapping[str, str]) -> Cipher:
        """The key from `env` (`DUNNING_SECRET_KEY`, see `connector.config.environment`), else
        from the key file."""
        if env.get(ENV_KEY):
            return cls(env[ENV_KEY])
        if not key_file.exists():
            raise CipherError(
                f"no secret key: set {ENV_KEY} or create {key_file} with `dunning init`"
            )
        keys = read_key_file(key_file)
        try:
            return cls(keys, key_file=key_file)
        except CipherError as exc:
            raise CipherError(f"{key_file}: {exc}") from exc

    # -- keys --------------------------------------------------------------------------------
    @property
    def key_count(self) -> int:
        return len(self._current()[0])

    def _file_stamp(self) -> tuple[int, int] | None:
        if self._key_file is None:
            return None
        try:
            st = self._key_file.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _current(self) -> tuple[list[bytes], MultiFernet]:
        """The keys, read again if the key file changed (a rotation in another process)."""
        if self._key_file is not None:
            stamp = self._file_stamp()
            if stamp is not None and stamp != self._stamp:
                with self._lock:
                    try:
                        keys = read_key_file(self._key_file)
                        multi = _fernets(keys)
                    except (CipherError, OSError):
                        pass  # half-written or broken: keep the keys we have
                    else:
                        self._keys, self._multi, self._stamp = keys, multi, stamp
        return self._keys, self._multi

    # -- values ------------------------------------------------------------------------------
    def encrypt(self, plain: str, tenant: str = "", kind: str = "") -> str:
        data = MAGIC + tenant.encode() + b"\x00" + kind.encode() + b"\x00" + plain.encode()
        return self._current()[1].encrypt(data).decode()

    def decrypt(self, token: str, tenant: str = "", kind: str = "") -> str:
        try:
            raw = self._current()[1].decrypt(token.encode())
        except InvalidToken as exc:
            raise CipherError(
                "stored secrets cannot be decrypted with this key (was the key file replaced?)"
            ) from exc
        return self._unbind(raw, tenant, kind)

    @staticmethod
    def _unbind(raw: bytes, tenant: str, kind: str) -> str:
        if not raw.startswith(MAGIC):
            return raw.decode()  # stored before binding; `dunning keys rotate` binds it
        owner, bound_kind, plain = raw[len(MAGIC) :].split(b"\x00", 2)
        if (owner.decode(), bound_kind.decode()) != (tenant, kind):
            raise BindingError(
                f"a stored secret read as the {kind or 'unnamed secret'} of client "
                f"{tenant or '?'!r} belongs to the {bound_kind.decode() or 'unnamed secret'} of "
                f"client {owner.decode() or '?'!r}: the database row was moved or swapped; it "
                f"is not used (run `dunning auth login {tenant}` to connect again)"
            )
        return plain.decode()

    def is_current(self, token: str, tenant: str, kind: str) -> bool:
        """Encrypted under the first key and bound to (tenant, kind)."""
        keys = self._current()[0]
        try:
            raw = Fernet(keys[0]).decrypt(token.encode())
        except InvalidToken:
            return False
        return raw.startswith(MAGIC + tenant.encode() + b"\x00" + kind.encode() + b"\x00")

    def reencrypt(self, token: str, tenant: str, kind: str) -> str:
        """The same secret under the first key, bound to (tenant, kind); a secret bound to
        anything else is refused (BindingError), never re-bound."""
        return self.encrypt(self.decrypt(token, tenant, kind), tenant, kind)


def generate_key_file(path: Path) -> bool:
    """Create a new key file with mode 0600; never overwrite one. True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(Fernet.generate_key().decode() + "\n")
    return True
