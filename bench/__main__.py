"""`python -m bench [name ...]`: run the benchmarks and print their figures."""

from __future__ import annotations

import sys

from bench import (
    console,
    exact_sync,
    first_run,
    moneybird_sync,
    planner,
    worker_load,
    zoho_sync,
)

BENCHES = {
    "zoho-sync": zoho_sync.main,
    "exact-sync": exact_sync.main,
    "moneybird-sync": moneybird_sync.main,
    "worker-load": worker_load.main,
    "planner": planner.main,
    "first-run": first_run.main,
    "console": console.main,
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
