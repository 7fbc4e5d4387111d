"""`python -m sandboxes.exact --port 8766 --seed demo`: the fake Exact Online, standalone."""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime

from sandboxes.exact.app import make_app
from sandboxes.exact.generate import demo_tokens, seed_demo
from sandboxes.exact.state import ExactState, Limits
from sandboxes.kit import LoopbackServer
from sandboxes.kit.clock import SandboxClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.exact")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seed", default="demo", help="'demo', 'demo2' (two divisions) or 'none'")
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument(
        "--manual-clock",
        action="store_true",
        help="run on a SandboxClock moved through POST /_sandbox/clock",
    )
    parser.add_argument(
        "--rotation",
        choices=("on_first_use", "immediate"),
        default="on_first_use",
        help="when a used refresh token dies: once its successor is used "
        "(default) or as soon as the successor is issued",
    )
    args = parser.parse_args(argv)

    limits = Limits(rotation=args.rotation)
    if args.manual_clock:
        state = ExactState(SandboxClock(datetime.now(UTC)).now, limits)
    else:
        state = ExactState(lambda: datetime.now(UTC), limits)
    server = LoopbackServer(make_app(state), port=args.port).start()
    print(f"Exact Online sandbox on {server.url}")
    if args.seed != "none":
        info = seed_demo(state, seed=args.random_seed, divisions=2 if args.seed == "demo2" else 1)
        tokens = demo_tokens(state, info)
        print(f"  client_id      {info.client_id}")
        print(f"  client_secret  {info.client_secret}")
        print(f"  redirect_uri   {info.redirect_uri}")
        print(f"  division(s)    {', '.join(str(d) for d in info.divisions)}")
        print(f"  refresh_token  {tokens.refresh_token}")
        print(
            f"  authorize      {server.url}/api/oauth2/auth?client_id={info.client_id}"
            f"&redirect_uri={info.redirect_uri}&response_type=code&state=x"
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
