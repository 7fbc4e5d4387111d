"""The demo writes only inside its own output folder, starts clean each time, and never
deletes a file it did not create."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli import app as dunning
from sandboxes.demo_folder import MARKER, DemoFolderError, prepare


def demo(out: Path, days: int = 2) -> tuple[int, str]:
    result = CliRunner().invoke(dunning, ["demo", "--out", str(out), "--days", str(days)])
    return result.exit_code, result.output


def test_the_demo_database_lands_in_the_output_folder_and_a_rerun_starts_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative --out, as `make demo` gives it
    code, out = demo(Path("demo-output"))
    assert code == 0, out
    folder = tmp_path / "demo-output"
    assert (folder / "demo.db").exists() and (folder / "report.html").exists()
    assert not (folder / "config" / "demo-output").exists(), "database beside the config"
    assert not (folder / "dunning.db").exists(), "the demo used the production file name"
    with sqlite3.connect(folder / "demo.db") as db:
        db.execute("CREATE TABLE stale_marker (x INTEGER)")
    code, out = demo(Path("demo-output"))
    assert code == 0, out
    with sqlite3.connect(folder / "demo.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "stale_marker" not in tables, "a re-run reused the previous run's database"


def test_a_folder_with_files_the_demo_did_not_write_is_refused_untouched(tmp_path: Path) -> None:
    production = tmp_path / "dunning.db"
    production.write_bytes(b"the real thing")
    code, out = demo(tmp_path)
    assert code == 2 and "did not write (dunning.db)" in out, out
    assert production.read_bytes() == b"the real thing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dunning.db"]


def test_a_rerun_removes_only_what_the_demo_wrote(tmp_path: Path) -> None:
    out = prepare(tmp_path / "d")
    (out / "report.html").write_text("old")
    (out / "samples").mkdir()
    (out / "samples" / "x.pdf").write_text("old")
    from sandboxes.demo_folder import finish

    finish(out)
    assert "samples" in (out / MARKER).read_text()
    assert prepare(out) == out and sorted(p.name for p in out.iterdir()) == [MARKER]
    (out / "notes.txt").write_text("mine")
    with pytest.raises(DemoFolderError, match=r"notes\.txt"):
        prepare(out)
    assert (out / "notes.txt").read_text() == "mine"


def test_an_unknown_platform_is_refused_before_any_file_is_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        dunning, ["demo", "--platform", "xero", "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 2, result.output
    assert "demo platform 'xero' is not available (zoho, exact, moneybird)" in result.output
    assert not (tmp_path / "d").exists()


def test_without_the_sandboxes_installed_the_demo_says_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The product's wheel holds no sandbox: an installation without the sandboxes distribution
    # is one where importing them fails, as `None` in sys.modules makes it.
    monkeypatch.setitem(sys.modules, "sandboxes", None)
    monkeypatch.setitem(sys.modules, "sandboxes.demo", None)
    result = CliRunner().invoke(dunning, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pip install -e sandboxes" in lines[0], result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "d").exists()
