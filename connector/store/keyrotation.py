"""`dunning keys rotate`: every stored secret re-encrypted under a new key, resumably.

With a key file (the usual case):
1. If the file holds one key, a new key is generated and written *first*, the old one after it
   (atomically; both decrypt, the new one encrypts from now on, also in a running `serve`, which
   reads a changed key file again). If it already holds several, a rotation was interrupted and
   this one resumes it with the first key.
2. Every encrypted value (tokens, token journal, the local token files) not yet under the first
   key and bound to its tenant and kind is re-encrypted, one row per transaction and only if the
   row still holds the value that was read (a refresh committed meanwhile is never overwritten).
   Values stored before binding existed are bound now.
3. A second pass checks that everything is under the first key; only then is the file rewritten
   with that key alone. Interrupted anywhere, every secret still decrypts with the file as it is,
   and running the command again finishes the job.

With `DUNNING_SECRET_KEY` the process cannot rewrite the variable: put the new key first
(``NEW,OLD``), run the command, then set the variable to ``NEW`` alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import Engine, update
from sqlmodel import col, select

from connector.store.crypto import (
    ENV_KEY,
    Cipher,
    CipherError,
    parse_keys,
    read_key_file,
    write_key_file,
)
from connector.store.db import session_scope
from connector.store.models import OAuthToken, TokenJournal
from connector.store.tokens import ACCESS, JOURNAL, REFRESH, bound_kind

#: called after each committed rewrite (tests interrupt a rotation here)
Progress = Callable[[str], None]


@dataclass
class RotationResult:
    rewritten: int = 0
    already_current: int = 0
    unreadable: list[str] = field(default_factory=list)
    finished: bool = False
    key_file: Path | None = None
    note: str = ""


def _value_columns() -> list[tuple[str, str]]:
    return [("refresh_token_enc", REFRESH), ("access_token_enc", ACCESS)]


def rotate_keys(
    engine: Engine,
    key_file: Path,
    env: Mapping[str, str],
    *,
    spool_folder: Path | None = None,
    progress: Progress | None = None,
) -> RotationResult:
    """Rotate to a new key (or finish an interrupted rotation); see the module docstring.

    Raises:
        CipherError: no key, or `DUNNING_SECRET_KEY` with only one key in it.
    """
    result = RotationResult()
    if env.get(ENV_KEY):
        keys = parse_keys(env[ENV_KEY])
        if len(keys) < 2:
            raise CipherError(
                f"{ENV_KEY} holds one key: put a new key in front of it (NEW,OLD; a new key: "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'), run `dunning keys rotate` again, "
                f"then set {ENV_KEY} to NEW alone"
            )
        cipher = Cipher(keys)
    else:
        if not key_file.exists():
            raise CipherError(
                f"no secret key: set {ENV_KEY} or create {key_file} with `dunning init`"
            )
        keys = read_key_file(key_file)
        if len(keys) == 1:
            keys = [Fernet.generate_key(), *keys]
            write_key_file(key_file, keys)
        cipher = Cipher(keys, key_file=key_file)
        result.key_file = key_file

    for _ in range(2):  # the second pass picks up anything written under an old key meanwhile
        before = result.rewritten
        _rotate_tokens(engine, cipher, result, progress)
        _rotate_journal(engine, cipher, result, progress)
        if spool_folder is not None:
            _rotate_spool(spool_folder, cipher, result, progress)
        if result.rewritten == before:
            break
    if result.unreadable:
        result.note = (
            "not finished: some values cannot be decrypted with any key given; the old keys "
            "are kept: " + "; ".join(result.unreadable)
        )
        return result
    result.finished = True
    if result.key_file is not None:
        write_key_file(key_file, keys[:1])
        result.note = f"{key_file} now holds only the new key"
    else:
        result.note = f"every secret is under the first key: now set {ENV_KEY} to it alone"
    return result


def _rotate_tokens(
    engine: Engine, cipher: Cipher, result: RotationResult, progress: Progress | None
) -> None:
    with session_scope(engine) as session:
        ids = list(session.exec(select(OAuthToken.id).order_by(col(OAuthToken.id))).all())
    for row_id in ids:
        with session_scope(engine) as session:
            row = session.get(OAuthToken, row_id)
            if row is None:
                continue
            tenant, connection = row.tenant, row.connection
            values = {column: getattr(row, column) for column, _ in _value_columns()}
        for column, kind in _value_columns():
            old = values[column]
            if not old:
                continue
            bound = bound_kind(kind, connection)
            if cipher.is_current(old, tenant, bound):
                result.already_current += 1
                continue
            try:
                new = cipher.reencrypt(old, tenant, bound)
            except CipherError as exc:
                result.unreadable.append(f"{tenant} {bound}: {exc}")
                continue
            with session_scope(engine) as session:
                done = session.execute(
                    update(OAuthToken)
                    .where(col(OAuthToken.id) == row_id, col(getattr(OAuthToken, column)) == old)
                    .values({column: new})
                )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                result.rewritten += 1
                if progress is not None:
                    progress(f"{tenant} {bound}")


def _rotate_journal(
    engine: Engine, cipher: Cipher, result: RotationResult, progress: Progress | None
) -> None:
    with session_scope(engine) as session:
        rows = [
            (r.id, r.tenant, r.connection, r.payload_enc)
            for r in session.exec(select(TokenJournal).order_by(col(TokenJournal.id))).all()
        ]
    for row_id, tenant, connection, old in rows:
        bound = bound_kind(JOURNAL, connection)
        if cipher.is_current(old, tenant, bound):
            result.already_current += 1
            continue
        try:
            new = cipher.reencrypt(old, tenant, bound)
        except CipherError as exc:
            result.unreadable.append(f"{tenant} {bound}: {exc}")
            continue
        with session_scope(engine) as session:
            done = session.execute(
                update(TokenJournal)
                .where(col(TokenJournal.id) == row_id, col(TokenJournal.payload_enc) == old)
                .values(payload_enc=new)
            )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            result.rewritten += 1
            if progress is not None:
                progress(f"{tenant} {bound}")


def _rotate_spool(
    folder: Path, cipher: Cipher, result: RotationResult, progress: Progress | None
) -> None:
    """The local token files (connector.auth.spool) are encrypted unbound, like before."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.token")):
        try:
            old = path.read_text().strip()
        except FileNotFoundError:
            continue  # committed and removed meanwhile
        if cipher.is_current(old, "", ""):
            result.already_current += 1
            continue
        try:
            new = cipher.reencrypt(old, "", "")
        except CipherError as exc:
            result.unreadable.append(f"token file {path.name}: {exc}")
            continue
        tmp = path.with_name(f".{path.name}.rekey")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, new.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        if not path.exists():  # removed meanwhile: do not bring it back
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            continue
        os.replace(tmp, path)
        result.rewritten += 1
        if progress is not None:
            progress(f"token file {path.name}")
