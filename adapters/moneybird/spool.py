"""What one read keeps on disk instead of in memory, so the sync's heap stays flat with the
administration's size.

A first read of 50,000 sales invoices lists 50,000 ids and versions, pauses Moneybird's own
workflow for every open invoice (in an order known only once all are read), and remembers the
version each pause answered with. Held in Python, each of these grows with the administration;
here they live in a private temporary SQLite database (`ReadSpool`: SQLite's empty file name,
on disk, removed by SQLite itself when closed, whatever ended the read), and the versions a
cursor carries are packed (`pack`, `unpack`: about 7 to 10 characters a record instead of 30,
read and written piece by piece, never as one dict).
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, Literal

#: ids and versions handed out per SQLite read
_FETCH = 500
#: characters of a packed cursor decoded at a time (a multiple of 4: whole base64 quanta)
_UNPACK = 64 * 1024
#: bytes packed before they are compressed (a multiple of 3: whole base64 quanta)
_PACK = 48 * 1024


class ReadSpool:
    """One read's ids and versions (`listed`: what the synchronization list said; `known`: what
    the cursor said; `keep`: what the next cursor carries), the ids to fetch again (`retry`)
    and the workflow steps waiting for the end of the read (`steps`)."""

    def __init__(self) -> None:
        # "": a private temporary database on disk, deleted when closed (SQLite's own rule);
        # its page cache is bounded (2 MiB), so neither the Python heap nor the process grows
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -2048;
            CREATE TABLE listed (id TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE known (id TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE keep (id TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE retry (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE changed (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE steps (
                first INTEGER NOT NULL, due TEXT NOT NULL, id TEXT NOT NULL,
                number TEXT NOT NULL, resume INTEGER NOT NULL
            );
            """
        )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ReadSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- filling ---------------------------------------------------------------------------
    def _insert(self, table: str, rows: Iterable[tuple[Any, ...]], width: int) -> None:
        marks = ", ".join("?" * width)
        self.db.execute("BEGIN")
        try:
            # a listed id twice: the last one counts, as in a dict
            self.db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add_listed(self, pairs: Iterable[tuple[str, int]]) -> None:
        self._insert("listed", pairs, 2)

    def add_known(self, pairs: Iterable[tuple[str, int]]) -> None:
        self._insert("known", pairs, 2)

    def forget_known(self) -> None:
        self.db.execute("DELETE FROM known")

    def add_retry(self, ids: Iterable[str]) -> None:
        self._insert("retry", ((i,) for i in ids), 1)

    def keep(self, pairs: Iterable[tuple[str, int]]) -> None:
        """The versions the next cursor carries (a later one for the same id replaces it)."""
        self._insert("keep", pairs, 2)

    # -- what changed ----------------------------------------------------------------------
    def select_changed(self, *, keep: Literal["same", "listed", "none"]) -> int:
        """Fill `changed` with the ids listed at another version than the known one (or not
        known) and the ids to retry, and `keep` with the known versions still good: listed
        at the known version (``"same"``: the invoices' overlap window), listed at all
        (``"listed"``, contacts: a changed one keeps its old version until its fetch replaces
        it), or none. Returns how many to fetch."""
        self.db.execute("BEGIN")
        self.db.execute(
            """
            INSERT INTO changed
            SELECT l.id FROM listed l
            WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.id = l.id AND k.version = l.version)
            UNION SELECT id FROM retry
            """
        )
        if keep == "same":
            self.db.execute(
                """
                INSERT INTO keep
                SELECT k.id, k.version FROM known k JOIN listed l
                    ON l.id = k.id AND l.version = k.version
                WHERE k.id NOT IN (SELECT id FROM retry)
                """
            )
        elif keep == "listed":
            self.db.execute(
                "INSERT INTO keep SELECT k.id, k.version FROM known k "
                "WHERE k.id IN (SELECT id FROM listed)"
            )
        self.db.execute("COMMIT")
        # the lists are done with: their pages go back to the file's free list
        self.db.execute("DELETE FROM listed")
        self.db.execute("DELETE FROM known")
        (count,) = self.db.execute("SELECT count(*) FROM changed").fetchone()
        return int(count)

    def changed(self) -> Iterator[str]:
        """The ids to fetch, in id order (as text, like ``sorted``)."""
        rows = self.db.execute("SELECT id FROM changed ORDER BY id")
        while batch := rows.fetchmany(_FETCH):
            for (ref,) in batch:
                yield str(ref)

    def kept(self) -> Iterator[tuple[str, int]]:
        """The versions for the next cursor, in numeric id order (as `pack` wants them)."""
        rows = self.db.execute("SELECT id, version FROM keep ORDER BY length(id), id")
        while batch := rows.fetchmany(_FETCH):
            for ref, version in batch:
                yield str(ref), int(version)

    # -- Moneybird's own workflow ----------------------------------------------------------
    def add_step(self, first: int, due: date, ref: str, number: str, resume: bool) -> None:
        self.db.execute(
            "INSERT INTO steps VALUES (?, ?, ?, ?, ?)",
            (first, due.isoformat(), ref, number, int(resume)),
        )

    def steps(self) -> Iterator[tuple[str, str, bool]]:
        """(id, number, resume) of the waiting steps, by (first, due date, id)."""
        rows = self.db.execute("SELECT id, number, resume FROM steps ORDER BY first, due, id")
        while batch := rows.fetchmany(_FETCH):
            for ref, number, resume in batch:
                yield str(ref), str(number), bool(resume)


# -- packed versions ---------------------------------------------------------------------------
def _varint(value: int, out: bytearray) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def pack(pairs: Iterable[tuple[str, int]]) -> tuple[str, int]:
    """(base64 text, how many) of (id, version) pairs given in ascending numeric id order: each
    pair as the id's difference to the previous id and the version's (zigzag) difference to the
    previous version, as varints, compressed. An id that does not round-trip as a number
    (a leading zero) or comes out of order is left out: the next read fetches it once more."""
    squeeze = zlib.compressobj(6)
    raw = bytearray()
    pending = bytearray()
    parts: list[str] = []
    last_id, last_version, count = -1, 0, 0

    def emit(data: bytes, final: bool = False) -> None:
        pending.extend(data)
        whole = len(pending) if final else len(pending) - len(pending) % 3
        if whole:
            parts.append(base64.b64encode(bytes(pending[:whole])).decode("ascii"))
            del pending[:whole]

    for ref, version in pairs:
        number = int(ref) if ref.isdigit() else -1
        if number <= last_id or str(number) != ref:
            continue
        _varint(number - last_id - 1, raw)
        delta = version - last_version
        _varint(delta * 2 if delta >= 0 else -delta * 2 - 1, raw)
        last_id, last_version, count = number, version, count + 1
        if len(raw) >= _PACK:
            emit(squeeze.compress(bytes(raw)))
            raw.clear()
    emit(squeeze.compress(bytes(raw)) + squeeze.flush(), final=True)
    return "".join(parts), count


def unpack(text: str, start: int = 0) -> Iterator[tuple[str, int]]:
    """The pairs `pack` wrote into ``text[start:]``, a piece at a time (never the whole
    decoded). Raises ValueError when the text is not what `pack` writes (a truncated or altered
    cursor): the caller then forgets what it loaded."""
    grow = zlib.decompressobj()
    carry = bytearray()
    last_id, last_version = -1, 0
    step = _UNPACK
    for at in range(start, len(text), step):
        try:
            data = binascii.a2b_base64(text[at : at + step], strict_mode=True)
            carry.extend(grow.decompress(data))
        except (binascii.Error, zlib.error) as exc:
            raise ValueError(f"not a packed list of versions: {exc}") from None
        pos, values = 0, []
        while True:
            value, shift, end = 0, 0, pos
            while end < len(carry) and carry[end] & 0x80:
                value |= (carry[end] & 0x7F) << shift
                shift += 7
                end += 1
            if end >= len(carry):
                break  # the varint goes on in the next piece
            value |= carry[end] << shift
            values.append(value)
            pos = end + 1
        del carry[:pos]
        if len(values) % 2:
            # an id without its version yet: keep its bytes for the next piece
            odd = values.pop()
            carry[:0] = _encoded(odd)
        for index in range(0, len(values), 2):
            last_id += values[index] + 1
            zig = values[index + 1]
            last_version += zig // 2 if zig % 2 == 0 else -(zig + 1) // 2
            yield str(last_id), last_version
    if not grow.eof or carry or grow.unused_data:
        raise ValueError("not a packed list of versions: cut off")


def _encoded(value: int) -> bytearray:
    out = bytearray()
    _varint(value, out)
    return out
