"""`python -m bench [name ...]`: run the benchmarks and print their figures."""

from __future__ import annotations

import importlib
import sys

#: benchmark name -> its module (imported only when that benchmark runs: the console benchmark
#: brings the web stack, which the sync benchmarks do not need)
BENCHES = {
    "zoho-sync": "bench.zoho_sync",
    "exact-sync": "bench.exact_sync",
    "moneybird-sync": "bench.moneybird_sync",
    "worker-load": "bench.worker_load",
    "planner": "bench.planner",
    "first-run": "bench.first_run",
    "console": "bench.console",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
    for name in names:
        importlib.import_module(BENCHES[name]).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
