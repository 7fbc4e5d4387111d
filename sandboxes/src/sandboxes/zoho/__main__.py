"""`python -m sandboxes.zoho --port 8767 --seed 42`: the fake Zoho Books, standalone."""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime

from sandboxes.kit import LoopbackServer
from sandboxes.kit.clock import SandboxClock
from sandboxes.zoho.app import make_app
from sandboxes.zoho.generate import demo_tokens, seed_demo
from sandboxes.zoho.state import ZohoState


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.zoho")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--seed", type=int, default=42, help="random seed of the demo ledger")
    parser.add_argument("--empty", action="store_true", help="serve no demo ledger")
    parser.add_argument(
        "--manual-clock",
        action="store_true",
        help="run on a SandboxClock moved through POST /_sandbox/clock",
    )
    args = parser.parse_args(argv)

    if args.manual_clock:
        state = ZohoState(SandboxClock(datetime.now(UTC)).now)
    else:
        state = ZohoState(lambda: datetime.now(UTC))
    server = LoopbackServer(make_app(state), port=args.port).start()
    print(f"Zoho Books sandbox on {server.url} (accounts server and API domain)")
    if not args.empty:
        info = seed_demo(state, seed=args.seed)
        tokens = demo_tokens(state, info, api_domain=server.url)
        print(f"  organization_id {info.organization_id}")
        print(f"  client_id       {info.client_id}")
        print(f"  client_secret   {info.client_secret}")
        print(f"  redirect_uri    {info.redirect_uri}")
        print(f"  refresh_token   {tokens.refresh_token}")
        print(
            f"  authorize       {server.url}/oauth/v2/auth?scope=ZohoBooks.fullaccess.all"
            f"&client_id={info.client_id}&response_type=code&access_type=offline"
            f"&prompt=consent&redirect_uri={info.redirect_uri}&state=x"
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
