"""What the sync benchmarks share: a measured phase, a free port, and the printed report."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Phase:
    name: str
    calls: int
    minimum: int
    seconds: float
    peak_mib: float | None
    records: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def print_report(title: str, unit: str, run_size: Callable[..., list[Phase]]) -> None:
    """Calls vs. minimum and wall time at 50,000 records, then peak heap at 10k and 50k."""
    print(title)
    rows = [(n, p) for n in (50_000,) for p in run_size(n, measure_memory=False)]
    width = max(9, len(unit))
    print(
        f"{unit:>{width}}  {'phase':<26} {'API calls':>9} {'minimum':>8} {'ratio':>6} "
        f"{'records':>8} {'wall s':>7}"
    )
    for n, p in rows:
        print(
            f"{n:>{width}}  {p.name:<26} {p.calls:>9} {p.minimum:>8} "
            f"{p.calls / p.minimum:>6.2f} {p.records:>8} {p.seconds:>7.1f}"
        )
    print("\npeak Python heap during sync (tracemalloc; slower, so timed separately above):")
    for n in (10_000, 50_000):
        for p in run_size(n, measure_memory=True):
            print(f"{n:>{width}}  {p.name:<26} peak {p.peak_mib:>7.1f} MiB")
    print(f"(streamed page by page: the peak should stay flat from 10k to 50k {unit})")
