"""The demo's output folder: the demo writes only inside it, starts clean each time, and never
deletes a file it did not create.

A marker file (`.dunning-demo`) lists what the demo wrote at the top of the folder. A new run
removes exactly those entries and starts from an empty folder; a folder with anything the demo
did not write (a production `dunning.db`, a report someone saved there) is refused, not cleaned.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MARKER = ".dunning-demo"
#: what a demo run writes at the top of its folder (listed in the marker before it starts, so
#: an interrupted run is cleaned up too)
DEMO_ENTRIES = (
    "config",
    "demo.db",
    "demo.db-wal",
    "demo.db-shm",
    "demo.env",
    "report.html",
    "samples",
)


class DemoFolderError(Exception):
    """The folder holds files the demo did not write; the message names them."""


def _listed(marker: Path) -> set[str]:
    names = {line.strip() for line in marker.read_text(encoding="utf-8").splitlines()}
    return {n for n in names if n and not n.startswith("#") and "/" not in n and n != ".."}


def prepare(out: Path) -> Path:
    """An empty demo folder at `out` (absolute): created, or emptied of what an earlier demo run
    wrote. Raises DemoFolderError when it holds anything else (nothing is deleted then)."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise DemoFolderError(f"{out} is a file, not a folder for the demo's output")
    marker = out / MARKER
    if out.is_dir():
        ours = _listed(marker) if marker.is_file() else set()
        foreign = sorted(p.name for p in out.iterdir() if p.name != MARKER and p.name not in ours)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise DemoFolderError(
                f"{out} holds files the demo did not write ({shown}); give `--out` an empty or "
                "new folder (the demo never deletes what it did not create)"
            )
        for name in sorted(ours):
            path = out / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    _write_marker(marker, DEMO_ENTRIES)
    return out


def finish(out: Path) -> None:
    """Record what the run actually wrote, so the next run removes exactly that."""
    out = Path(out).resolve()
    names = sorted(p.name for p in out.iterdir() if p.name != MARKER)
    _write_marker(out / MARKER, names)


def write_env(out: Path, env: dict[str, str]) -> Path:
    """`demo.env`: the variables the demo's configuration refers to (the sandbox's OAuth client,
    the secret key its tokens are encrypted with), so other commands can use the folder:
    `set -a; . demo-output/demo.env; set +a`. Private (0600), as the key is."""
    import os
    import shlex

    path = Path(out) / "demo.env"
    lines = [
        "# written by `dunning demo`: what its configuration refers to; load it with",
        "#   set -a; . demo-output/demo.env; set +a",
        *(f"{name}={shlex.quote(value)}" for name, value in sorted(env.items())),
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def _write_marker(marker: Path, names: object) -> None:
    lines = ["# written by `dunning demo`; the next demo run removes exactly these entries"]
    lines += list(names)  # type: ignore[call-overload]
    marker.write_text("\n".join(lines) + "\n", encoding="utf-8")
