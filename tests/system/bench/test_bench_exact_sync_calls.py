"""The Exact sync benchmark's call counts at a small size: one call per 1,000-row sync page."""

from __future__ import annotations

from bench.exact_sync import run_size


def test_exact_full_and_incremental_sync_use_the_minimum_number_of_calls() -> None:
    full, incremental = run_size(3_000, measure_memory=False)
    assert full.calls == full.minimum, full
    assert incremental.calls == incremental.minimum, incremental
