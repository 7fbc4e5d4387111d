"""A flood on the webhook listener does not delay the runs: unsigned and malformed requests from
another process, plus connections that trickle their headers and never finish, while the
service runs a client. A run's duration is measured without and with the flood, side by side
(loopback only; every loop in the flood is bounded)."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import requests
from waiting import wait_until

from adapters.exact.webhook import hash_code
from connector.config import load_config
from connector.serve.scheduler import ServeOptions, Service
from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment

SECRET = "fl00d-webhook-secret"

FLOOD = r"""
import json, os, socket, sys, threading, time

host, port, stop_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
MAX_SECONDS, WORKERS, SLOW = 60.0, 6, 6
deadline = time.monotonic() + MAX_SECONDS
counts, lock = {}, threading.Lock()

def note(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        if key == "slow-cut":  # the test waits for these (one line each)
            print(key, flush=True)

def going():
    return time.monotonic() < deadline and not os.path.exists(stop_file)

items = ",".join(['"Content"'] * 2000)
big = "[" + ",".join(["1"] * 4000) + "]"
BODIES = [
    b'{"Content": {"Topic": "SalesInvoices", "Key": "x"}, "HashCode": "00"}',
    ('{"HashCode": "00", "a": [' + items + '], "z": ' + big + ', "Content": {"a": 1}}').encode(),
    b'{"Content": ' + b"[" * 30000 + b"]" * 30000 + b', "HashCode": "00"}',
    b"not json at all",
]
NAMES = ["hooked", "nobody", "admin", "hooked"]

def flood(n):
    i = n
    while going():
        body, name = BODIES[i % len(BODIES)], NAMES[i % len(NAMES)]
        i += 1
        try:
            with socket.create_connection((host, port), timeout=5) as s:
                head = "POST /exact/webhook/%s HTTP/1.1\r\nContent-Length: %d\r\n\r\n"
                s.sendall((head % (name, len(body))).encode() + body)
                answer = s.recv(64)
                note(answer[9:12].decode() if answer.startswith(b"HTTP/") else "closed")
        except OSError:
            note("error")

def slowloris():
    held = []
    while going():
        while len(held) < SLOW and going():
            try:
                s = socket.create_connection((host, port), timeout=5)
                s.sendall(b"POST /exact/webhook/hooked HTTP/1.1\r\nX-a: ")
                s.setblocking(False)
                held.append(s)
                note("slow-opened")
            except OSError:
                note("slow-error")
        time.sleep(0.05)
        for s in list(held):
            try:
                s.send(b"a")  # one byte now and then: the read time-out alone would not end it
                if s.recv(64) is not None:
                    held.remove(s)
                    s.close()
                    note("slow-cut")
            except BlockingIOError:
                pass
            except OSError:
                held.remove(s)
                s.close()
                note("slow-cut")
    for s in held:
        s.close()

threads = [threading.Thread(target=flood, args=(n,)) for n in range(WORKERS)]
threads.append(threading.Thread(target=slowloris))
for t in threads:
    t.start()
print("flooding", flush=True)
for t in threads:
    t.join()
print(json.dumps(counts), flush=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed_run(svc: Service, world: ExactWorld) -> float:
    world.clock.advance(timedelta(hours=1))
    started = time.monotonic()
    svc.run_client("hooked")
    return time.monotonic() - started


def test_a_flood_of_unsigned_requests_and_slow_connections_does_not_delay_runs(
    tmp_path: Path,
) -> None:
    world = ExactWorld.open(tmp_path, start=local_moment(date(2026, 3, 2), 8), slugs=("hooked",))
    hook_port, health_port = _free_port(), _free_port()
    config_dir = world.app.config_dir
    client = config_dir / "clients" / "hooked.yaml"
    client.write_text(
        client.read_text().replace("exact:\n", "exact:\n  webhook_secret: ${HOOK_SECRET}\n", 1)
    )
    connector = config_dir / "connector.yaml"
    connector.write_text(
        connector.read_text() + f"exact:\n  webhook_listen: 127.0.0.1:{hook_port}\n"
        "  webhook_max_connections: 8\n  webhook_timeout_seconds: 0.5\n"
    )
    world.env["HOOK_SECRET"] = SECRET
    world.app.config = load_config(config_dir, world.env)
    svc = Service(
        world.app,
        world.clock,
        ServeOptions(listen=f"127.0.0.1:{health_port}", alert_check_seconds=3600),
        env=world.env,
    )
    listener = svc.webhooks
    assert listener is not None
    svc.health.start()
    listener.start()
    stop = tmp_path / "stop-flood"
    flood: subprocess.Popen[str] | None = None
    try:
        for _ in range(2):  # warm up: the first full sync and the first actions
            _timed_run(svc, world)
        quiet = [_timed_run(svc, world) for _ in range(3)]

        flood = subprocess.Popen(
            [sys.executable, "-c", FLOOD, "127.0.0.1", str(hook_port), str(stop)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert flood.stdout is not None
        assert flood.stdout.readline().strip() == "flooding"
        # under way: the cap reached, and the listener cut each slow connection once already
        cut = 0
        while cut < 6:
            line = flood.stdout.readline()
            assert line, "the flood ended before the slow connections were cut"
            cut += line.strip() == "slow-cut"
        assert listener.refused > 0, "the flood never reached the connection cap"
        flooded = [_timed_run(svc, world) for _ in range(3)]
        started = time.monotonic()
        metrics = requests.get(f"http://127.0.0.1:{health_port}/metrics", timeout=5)
        metrics_seconds = time.monotonic() - started
        content = json.dumps({"Topic": "SalesInvoices", "Key": "k"})
        event = '{"Content":' + content + ',"HashCode":"' + hash_code(content, SECRET) + '"}'
        stop.touch()
        out, _ = flood.communicate(timeout=60)
        counts = json.loads(out.strip().splitlines()[-1])
        wait_until(lambda: listener.busy == 0, "the flood's last connections to end")
        after = requests.post(
            f"http://127.0.0.1:{hook_port}/exact/webhook/hooked", data=event, timeout=5
        )
    finally:
        stop.touch()
        if flood is not None and flood.poll() is None:
            flood.kill()
            flood.wait(10)
        listener.stop()
        svc.health.stop()
        world.close()

    q, f = statistics.median(quiet), statistics.median(flooded)
    print(
        f"\nrun duration, median of 3: {q:.2f} s quiet, {f:.2f} s under the flood; "
        f"flood answers: {counts}; listener refused {listener.refused} connections (503)"
    )
    assert counts.get("401", 0) >= 50, counts  # the flood really hit the handler
    assert counts.get("slow-cut", 0) >= 6, counts  # each slow connection was cut, not held
    assert counts.get("200", 0) == 0, "an unsigned request was accepted"
    assert metrics.status_code == 200 and metrics_seconds < 2.0
    assert f <= 2 * q + 0.5, f"runs slowed down by the flood: {q:.2f} s -> {f:.2f} s"
    assert after.status_code == 200, "the listener serves Exact again once the flood is over"
