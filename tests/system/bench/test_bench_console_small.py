"""The console benchmark at a small size: it builds its installation (the first client written,
the others copied in the database, the summaries as a run keeps them), signs in and prints the
pages' figures (a regression here would show in `make bench`)."""

from __future__ import annotations

import pytest

from bench.console import run


def test_the_console_bench_prints_the_pages_percentiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(clients=3, per_client=400)
    out = capsys.readouterr().out
    assert "console: 3 clients × 400 open invoices = 1,200" in out
    assert "overview page (/), 20 renders: p50" in out and "p95" in out
    assert "client page (/clients/client0001)" in out
    assert "next-7-days cell of client0001 (the run's count): p50" in out
    assert "its next-7-days cell (planned live) p50" in out
