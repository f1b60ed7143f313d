"""Bytes per second one live member page costs: the full stream against the page's compact one.

    .venv/bin/python benchmarks/stream_bytes.py [--seconds 30] [--screens 2]

A demo station (the simulated trainee in real time, 30 fps) is served by waitress on a free
loopback port. ``--screens`` readers open ``/api/stream`` (every snapshot whole, as the member
page read it before) and as many open ``/api/stream?compact=1`` (what the page reads now: the
fields it draws, rounded, only when they changed) at the same time, for the same seconds.
Each reader counts the bytes of the response body it receives.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import tempfile
import threading
import time
from pathlib import Path


def read(port: int, path: str, seconds: float, out: list[int], i: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", path)
    resp = conn.getresponse()
    assert resp.status == 200, f"{path}: HTTP {resp.status}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        chunk = resp.read1(65536)
        if not chunk:
            break
        out[i] += len(chunk)
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--screens", type=int, default=2, help="readers of each stream (default 2)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    from station.camera.sources import SimSource
    from station.config.settings import Settings
    from station.runtime.station import Station
    from station.web import create_app, make_server

    station = Station(Settings(), SimSource(seed=args.seed), data_dir=Path(tempfile.mkdtemp()), demo=True)
    app = create_app(station)
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    station.start()
    paths = {"full /api/stream": "/api/stream", "compact /api/stream?compact=1": "/api/stream?compact=1"}
    counts = {name: [0] * args.screens for name in paths}
    port = server.effective_port
    readers = [threading.Thread(target=read, args=(port, path, args.seconds, counts[name], i))
               for name, path in paths.items() for i in range(args.screens)]
    t0 = time.monotonic()
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    took = time.monotonic() - t0
    logging.getLogger("waitress").setLevel(logging.CRITICAL)  # streams cut at shutdown are expected
    station.stop()
    server.close()
    print(f"{args.screens} screens per stream for {took:.1f} s, demo station (simulator at 30 fps, "
          f"{app.config['SSE_MAX_RATE']:g} snapshots/s per page at most)")
    rates = {}
    for name, got in counts.items():
        rates[name] = sum(got) / len(got) / took
        print(f"{name}: {rates[name]:.0f} bytes/s per screen ({rates[name] * 3600 / 1e6:.1f} MB an hour)")
    full, compact = rates.values()
    print(f"compact / full: {compact / full:.3f} ({full / max(compact, 1e-9):.1f}x less)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
