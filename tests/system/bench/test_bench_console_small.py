"""The console benchmark at a small size: it builds its installation, signs in and prints the
overview's figures (a regression here would show in `make bench`)."""

from __future__ import annotations

import pytest

from bench.console import run


def test_the_console_bench_prints_the_overviews_percentiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(clients=3, per_client=5, large=40)
    out = capsys.readouterr().out
    assert "console overview: 3 clients, 50 open invoices" in out
    assert "overview page (/), 20 renders: p50" in out and "p95" in out
