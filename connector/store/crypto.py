"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with one key per installation.

The key comes from `DUNNING_SECRET_KEY` or from a key file that `dunning init` creates with mode
0600. A wrong or missing key is a clear error that never shows the key.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

ENV_KEY = "DUNNING_SECRET_KEY"


class CipherError(Exception):
    """The secret key is missing, malformed, or does not decrypt what the store holds."""


class Cipher:
    def __init__(self, key: bytes | str) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise CipherError(
                "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    def __repr__(self) -> str:
        return "Cipher(***)"

    @classmethod
    def from_settings(cls, key_file: Path, env: Mapping[str, str] | None = None) -> Cipher:
        env = os.environ if env is None else env
        if env.get(ENV_KEY):
            return cls(env[ENV_KEY].strip())
        if not key_file.exists():
            raise CipherError(
                f"no secret key: set {ENV_KEY} or create {key_file} with `dunning init`"
            )
        mode = key_file.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CipherError(
                f"{key_file} is readable by others (mode {oct(mode & 0o777)}); "
                f"run `chmod 600 {key_file}`"
            )
        try:
            return cls(key_file.read_text().strip())
        except CipherError as exc:
            raise CipherError(f"{key_file}: {exc}") from exc

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise CipherError(
                "stored secrets cannot be decrypted with this key (was the key file replaced?)"
            ) from exc


def generate_key_file(path: Path) -> bool:
    """Create a new key file with mode 0600; never overwrite one. True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(Fernet.generate_key().decode() + "\n")
    return True
