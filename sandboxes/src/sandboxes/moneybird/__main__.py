"""`python -m sandboxes.moneybird --port 8767`: the fake Moneybird, standalone, seeded."""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime

from sandboxes.kit import LoopbackServer
from sandboxes.kit.clock import SandboxClock
from sandboxes.moneybird.app import make_app
from sandboxes.moneybird.generate import demo_tokens, seed_demo
from sandboxes.moneybird.state import Limits, MoneybirdState


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.moneybird")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument(
        "--seed", default="demo", help="'demo', 'demo2' (two administrations) or 'none'"
    )
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument(
        "--manual-clock",
        action="store_true",
        help="run on a SandboxClock moved through POST /_sandbox/clock",
    )
    parser.add_argument(
        "--access-ttl",
        type=int,
        default=None,
        help="access tokens expire after this many seconds (default: never, no expires_in)",
    )
    args = parser.parse_args(argv)

    limits = Limits(access_ttl=args.access_ttl)
    if args.manual_clock:
        state = MoneybirdState(SandboxClock(datetime.now(UTC)).now, limits)
    else:
        state = MoneybirdState(lambda: datetime.now(UTC), limits)
    server = LoopbackServer(make_app(state), port=args.port).start()
    print(f"Moneybird sandbox on {server.url}")
    if args.seed != "none":
        info = seed_demo(
            state, seed=args.random_seed, administrations=2 if args.seed == "demo2" else 1
        )
        token = demo_tokens(state, info)
        print(f"  client_id         {info.client_id}")
        print(f"  client_secret     {info.client_secret}")
        print(f"  redirect_uri      {info.redirect_uri}")
        print(f"  administration(s) {', '.join(info.administrations)}")
        print(f"  access_token      {token.access}")
        print(f"  refresh_token     {token.refresh}")
        print(
            f"  authorize         {server.url}/oauth/authorize?client_id={info.client_id}"
            f"&redirect_uri={info.redirect_uri}&response_type=code&scope=sales_invoices%20settings"
        )
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
