"""50 live member pages at once while the loop runs: does the loop's frame rate hold?

    .venv/bin/python benchmarks/web_load.py [--clients 50] [--seconds 30] [--realtime | --sim]

The station runs the real pose engine on a looping video of a fixture photo, as fast as it can
(its capacity) or with --realtime at the video's 30 fps as a camera would deliver (or, with --sim,
the simulated trainee at 30 fps), served by waitress. A separate process opens
the SSE streams (as 50 browsers would) and counts messages and errors. Target: the loop's rate
with the clients no more than 5 % lower than without, and no errors.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT.parent / "shared" / "fixtures" / "photos" / "Good_Morning__0.jpg"


def clients(port: int, n: int, seconds: float, out: multiprocessing.Queue) -> None:
    counts = [0] * n
    errors = [0] * n

    def read(i: int) -> None:
        deadline = time.monotonic() + seconds
        try:
            # One loopback address per page, as fifty phones would be: the station caps live
            # pages per client address.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                              source_address=(f"127.0.3.{i + 1}", 0))
            conn.request("GET", "/api/stream")
            resp = conn.getresponse()
            if resp.status != 200:
                errors[i] += 1
                return
            while time.monotonic() < deadline:
                line = resp.fp.readline()
                if not line:
                    errors[i] += 1
                    return
                if line.startswith(b"data:"):
                    counts[i] += 1
            conn.close()
        except OSError:
            errors[i] += 1

    threads = [threading.Thread(target=read, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = time.process_time()
    out.put((sum(counts), sum(errors), min(counts), cpu))


def make_station(sim: bool, realtime: bool = False, fast_sim: bool = False):
    """A demo station on the simulator (at 30 fps, or as fast as it goes with ``fast_sim``) or
    on the real pose engine over a looping video of a fixture photo."""
    from station.camera.sources import SimSource, VideoFile
    from station.config.settings import Settings
    from station.runtime.estimator import load_estimator
    from station.runtime.station import Station

    data = Path(tempfile.mkdtemp())
    if sim:
        source = SimSource(seed=3, fast=fast_sim)
        factory = None
    else:
        import cv2

        video = data / "loop.avi"
        img = cv2.imread(str(PHOTO))
        size = (img.shape[1], img.shape[0])
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, size)
        for _ in range(30):
            writer.write(img)
        writer.release()
        source = VideoFile(video, realtime=realtime, loop=True)

        def factory():
            return load_estimator(None)  # the default data directory's models, as `station analyze` has

    return Station(Settings(), source, data_dir=data, estimator_factory=factory, demo=True)


def rate(station, seconds: float) -> float:
    f0, t0 = station.frames, time.perf_counter()
    time.sleep(seconds)
    return (station.frames - f0) / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=15.0, help="snapshots per second per page (default 15)")
    parser.add_argument("--realtime", action="store_true",
                        help="the video at its own 30 fps (a camera's pace) instead of as fast as possible")
    parser.add_argument("--sim", action="store_true",
                        help="the simulator at 30 fps instead of the pose engine")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds for the models to load and tracking to settle (default 3)")
    args = parser.parse_args()
    if not args.sim and not PHOTO.exists():
        print(f"no fixture photo at {PHOTO}; using the simulator")
        args.sim = True
    from station.web import create_app, make_server

    station = make_station(args.sim, args.realtime)
    app = create_app(station, config={"SSE_MAX_RATE": args.rate})
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    station.start()
    time.sleep(args.warmup)  # models loaded, tracking settled
    # Half the quiet time before the pages come, half after they left: a machine that drifts
    # faster or slower during the run tips neither side.
    before = rate(station, args.seconds / 2)
    ctx = multiprocessing.get_context("spawn")  # a clean process: no copy of the station's threads
    out = ctx.Queue()
    proc = ctx.Process(
        target=clients, args=(server.effective_port, args.clients, args.seconds + 2, out))
    proc.start()
    time.sleep(2)  # all connected
    loaded = rate(station, args.seconds)
    messages, errors, fewest, client_cpu = out.get(timeout=args.seconds + 30)
    proc.join()
    time.sleep(1)  # the streams closed
    after = rate(station, args.seconds / 2)
    alone = (before + after) / 2
    import logging

    logging.getLogger("waitress").setLevel(logging.CRITICAL)  # streams cut at shutdown are expected
    station.stop()
    server.close()
    pace = "at 30 fps, a camera's pace" if args.realtime else "as fast as it goes"
    what = "simulator at 30 fps" if args.sim else f"pose engine on a looping video, {pace}"
    print(f"loop ({what}): {alone:.1f} frames/s alone ({before:.1f} before, {after:.1f} after), "
          f"{loaded:.1f} frames/s with {args.clients} live pages "
          f"({100 * (alone - loaded) / alone:+.1f} % lower; target <= 5 %)")
    read_s = args.seconds + 2  # the clients read this long (the measured window and the connect time)
    per_page = messages / read_s / args.clients
    print(f"live pages: {messages} messages in {read_s:g} s ({per_page:.1f}/s per page, "
          f"fewest {fewest}), {errors} errors (target 0)")
    print(f"the {args.clients} clients themselves used {client_cpu:.1f} s of CPU on this machine's "
          f"{os.cpu_count()} cores ({100 * client_cpu / (args.seconds + 2) / (os.cpu_count() or 1):.0f} % "
          "of it); on a Pi they are phones elsewhere")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
