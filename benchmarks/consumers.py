"""Loop frame rate with and without 50 slow stream consumers.

    .venv/bin/python benchmarks/consumers.py [--consumers 50] [--seconds 10] [--rounds 3] [--sim]

The station runs the real pose engine on a looping video of a fixture photo as fast as it can
(its capacity; with --sim, the simulated trainee as fast as it can, a loop with no model to
wait on). Each consumer reads a message and then sleeps 100 ms, like a slow phone on Wi-Fi.
Quiet and loaded windows alternate, so that a machine drifting faster or slower tips neither
side. Target: the rate with consumers no more than 5 % lower.
"""

from __future__ import annotations

import argparse
import threading
import time

from web_load import PHOTO, make_station


def measure(station, consumers: int, seconds: float) -> tuple[float, int]:
    """Frames per second over ``seconds`` with ``consumers`` slow readers attached."""
    stop = threading.Event()
    subs = [station.subscribe() for _ in range(consumers)]

    def consume(sub) -> None:
        while not stop.is_set():
            sub.get(timeout=0.2)
            time.sleep(0.1)

    threads = [threading.Thread(target=consume, args=(s,), daemon=True) for s in subs]
    for th in threads:
        th.start()
    time.sleep(0.5)  # all reading
    f0, t0 = station.frames, time.perf_counter()
    time.sleep(seconds)
    fps = (station.frames - f0) / (time.perf_counter() - t0)
    stop.set()
    for th in threads:
        th.join()
    dropped = sum(s.dropped for s in subs)
    for s in subs:
        s.close()
    return fps, dropped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--consumers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each window")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sim", action="store_true", help="the simulator instead of the pose engine")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds for the models to load and tracking to settle (default 3)")
    args = parser.parse_args()
    if not args.sim and not PHOTO.exists():
        print(f"no fixture photo at {PHOTO}; using the simulator")
        args.sim = True
    station = make_station(args.sim, realtime=False, fast_sim=True)
    station.start()
    time.sleep(args.warmup)  # models loaded, tracking settled
    alone, loaded, dropped = [], [], 0
    for _ in range(args.rounds):
        alone.append(measure(station, 0, args.seconds)[0])
        fps, lost = measure(station, args.consumers, args.seconds)
        loaded.append(fps)
        dropped += lost
    station.stop()
    a, b = sum(alone) / len(alone), sum(loaded) / len(loaded)
    what = "simulator" if args.sim else "pose engine on a looping video"
    print(f"loop capacity ({what}): {a:.1f} frames/s alone, {b:.1f} frames/s with {args.consumers} "
          f"slow consumers ({100 * (a - b) / a:+.1f} % lower; target <= 5 %)")
    print(f"windows alone: {', '.join(f'{x:.1f}' for x in alone)}; "
          f"with consumers: {', '.join(f'{x:.1f}' for x in loaded)}")
    print(f"snapshots the slow consumers never saw (dropped for them, not for the loop): {dropped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
