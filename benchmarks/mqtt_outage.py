"""MQTT store-and-forward under a broker outage and a SIGKILL, then the loop's rate with and
without publishing.

    .venv/bin/python benchmarks/mqtt_outage.py [--outage 20] [--pairs 8] [--rate-s 3]

Part 1: a real Mosquitto (Debian's, persistence on) on a free loopback port and a durable QoS 1
subscriber. ``station run --sim --fast --headless --mqtt URL`` runs; the broker is stopped for
``--outage`` s; half-way through the outage the station is killed with SIGKILL and started again
on the same data directory; the broker comes back; the station is stopped with SIGTERM. Then
every rep in the rep log must have arrived over MQTT, first arrivals in id order; duplicates
are counted. Part 2: the simulated loop in this process with publishing on and off: at camera
pace (30 fps), and at full speed in ``--pairs`` interleaved on/off pairs of ``--rate-s`` s (the
full-speed simulator publishes 10-30 reps a second, far more than a member does); then two
stations side by side in two processes at once, one publishing, for ``--rounds`` rounds (the
machine's other load then weighs on both alike).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.engines import MOSQUITTO, Listener, Mosquitto  # noqa: E402


def station_proc(data: Path, url: str, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "station", "run", "--sim", "--fast", "--headless", "--seed", str(seed),
         "--data", str(data), "--mqtt", url],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def log_ids(data: Path) -> list[int]:
    """Every rep id in the station's log, oldest first (read on a connection of this process's)."""
    from station.storage.replog import RepLog

    log = RepLog.open(data)
    try:
        return sorted(r["id"] for r in log.reps.newest_first(limit=10**9))
    finally:
        log.close()


def outage(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    broker = Mosquitto(tmp / "broker").start()
    url = f"mqtt://127.0.0.1:{broker.port}"
    listener = Listener(broker.port, "hinge-station/+/rep", client_id="bench-listener")
    data = tmp / "data"
    proc = station_proc(data, url, seed=1)
    time.sleep(args.before)
    broker.stop()
    print(f"broker stopped ({len(log_ids(data))} reps in the log)", flush=True)
    time.sleep(args.outage / 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = len(log_ids(data))
    print(f"station killed with SIGKILL ({killed_at} reps in the log); started again", flush=True)
    proc = station_proc(data, url, seed=2)
    time.sleep(args.outage / 2)
    broker.start()
    print("broker started again", flush=True)
    time.sleep(args.after)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    ids = log_ids(data)
    listener.wait(lambda: set(listener.rep_ids()) >= set(ids), timeout=30)
    received = listener.rep_ids()
    listener.close()
    broker.stop()
    first: list[int] = []
    seen: set[int] = set()
    for rep_id in received:
        if rep_id not in seen:
            seen.add(rep_id)
            first.append(rep_id)
    return {"reps_in_log": len(ids), "received": len(received), "distinct": len(seen),
            "missing": len(set(ids) - seen), "in_order": first == ids,
            "duplicates": len(received) - len(seen), "killed_at_reps": killed_at}


def loop_rate(publish: bool, seconds: float, port: int, tmp: Path, n: int,
              fast: bool) -> tuple[float, float, float]:
    """Frames per second of a simulated station's loop over ``seconds`` (after a 1 s warm-up), the
    loop thread's own CPU time per frame in microseconds (less swayed by other processes), and the
    publisher thread's CPU time as a share of the time: under Python's one lock, the most it can
    take from a loop that runs flat out."""
    from station.camera.sources import SimSource
    from station.config.settings import Settings
    from station.fleet.attach import Fleet
    from station.runtime.station import Station

    station = Station(Settings(station_name=f"rate-{n}"), SimSource(seed=3, fast=fast),
                      data_dir=tmp / f"rate-{n}", demo=True)
    fleet = Fleet(station, f"mqtt://127.0.0.1:{port}" if publish else None)
    station.start()
    fleet.start()
    time.sleep(1.0)  # warm up; connected by now
    assert station._thread is not None and station._thread.ident is not None
    clock = time.pthread_getcpuclockid(station._thread.ident)
    publisher = fleet.publisher._thread
    assert publisher is not None and publisher.ident is not None
    pub_clock = time.pthread_getcpuclockid(publisher.ident)
    f0, t0 = station.frames, time.perf_counter()
    c0, p0 = time.clock_gettime(clock), time.clock_gettime(pub_clock)
    time.sleep(seconds)
    frames, cpu = station.frames - f0, time.clock_gettime(clock) - c0
    elapsed = time.perf_counter() - t0
    fps = frames / elapsed
    pub_share = (time.clock_gettime(pub_clock) - p0) / elapsed
    connected = fleet.publisher.state == "connected"
    station.stop()
    fleet.stop()
    if publish and not connected:
        raise SystemExit("publishing was on but the station was not connected to the broker")
    return fps, 1e6 * cpu / max(frames, 1), pub_share


def rates(args: argparse.Namespace, tmp: Path, fast: bool, pairs: int, seconds: float) -> dict[str, object]:
    """On and off runs in pairs, which one goes first alternating; medians and the median of the
    pairs' ratios (each pair ran under the same background load, near enough)."""
    on: list[float] = []
    off: list[float] = []
    cpu_on: list[float] = []
    cpu_off: list[float] = []
    share_on: list[float] = []
    with Mosquitto(tmp / f"rate-broker-{fast}") as broker:
        for pair in range(pairs):
            for publish in (pair % 2 == 0, pair % 2 != 0):
                n = len(on) + len(off) + 100 * fast
                fps, cpu, share = loop_rate(publish, seconds, broker.port, tmp, n, fast)
                (on if publish else off).append(fps)
                (cpu_on if publish else cpu_off).append(cpu)
                if publish:
                    share_on.append(share)
    ratio = statistics.median(a / b for a, b in zip(on, off, strict=True))
    cpu_ratio = statistics.median(a / b for a, b in zip(cpu_on, cpu_off, strict=True))
    return {"fps_on": [round(x, 1) for x in on], "fps_off": [round(x, 1) for x in off],
            "median_on": round(statistics.median(on), 1), "median_off": round(statistics.median(off), 1),
            "pair_ratio": round(ratio, 4), "apart_pct": round(100 * abs(1 - ratio), 2),
            "cpu_us_per_frame_on": round(statistics.median(cpu_on), 1),
            "cpu_us_per_frame_off": round(statistics.median(cpu_off), 1),
            "cpu_pair_ratio": round(cpu_ratio, 4),
            "publisher_cpu_pct": round(100 * statistics.median(share_on), 2)}


def free_demo_port() -> int:
    """A free port in 8300-8399 (the range kept for demo stations on this machine)."""
    import socket

    for port in range(8300, 8400):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8300-8399")


def frames_of(port: int) -> float | None:
    """hinge_frames_total from the station's /metrics (None: not serving yet)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    return next(float(line.split()[1]) for line in text.splitlines() if line.startswith("hinge_frames_total"))


def side_by_side(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    """Two stations at full speed at the same time, in two processes, one publishing and one not:
    whatever else the machine does meanwhile, both feel it. Frames read from their /metrics."""
    ratios: list[float] = []
    on: list[float] = []
    off: list[float] = []
    with Mosquitto(tmp / "side-broker") as broker:
        for rnd in range(args.rounds):
            procs, ports = [], []
            for publish in (True, False):
                port = free_demo_port()
                cmd = [sys.executable, "-m", "station", "run", "--sim", "--fast", "--host", "127.0.0.1",
                       "--port", str(port), "--seed", "3", "--data", str(tmp / f"side-{rnd}-{publish}")]
                if publish:
                    cmd += ["--mqtt", f"mqtt://127.0.0.1:{broker.port}"]
                procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
                ports.append(port)
                while frames_of(port) is None:  # serving before the next one takes the port range
                    time.sleep(0.1)
            time.sleep(2.0)  # both warm, the publisher connected
            f0 = [frames_of(p) or 0.0 for p in ports]
            t0 = time.perf_counter()
            time.sleep(args.rate_s)
            f1 = [frames_of(p) or 0.0 for p in ports]
            elapsed = time.perf_counter() - t0
            fps = [(b - a) / elapsed for a, b in zip(f0, f1, strict=True)]
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(30)
            on.append(fps[0])
            off.append(fps[1])
            ratios.append(fps[0] / fps[1])
            print(f"  side by side {rnd + 1}: on {fps[0]:.1f}, off {fps[1]:.1f} fps", flush=True)
    ratio = statistics.median(ratios)
    return {"fps_on": [round(x, 1) for x in on], "fps_off": [round(x, 1) for x in off],
            "median_ratio": round(ratio, 4), "apart_pct": round(100 * abs(1 - ratio), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the broker is away")
    parser.add_argument("--before", type=float, default=5.0, help="seconds of publishing before the outage")
    parser.add_argument("--after", type=float, default=15.0, help="seconds after the broker is back")
    parser.add_argument("--pairs", type=int, default=8, help="on/off pairs at full speed")
    parser.add_argument("--rate-s", type=float, default=3.0, help="seconds per full-speed run")
    parser.add_argument("--camera-s", type=float, default=10.0, help="seconds per camera-pace run")
    parser.add_argument("--rounds", type=int, default=5, help="side-by-side rounds (two processes)")
    args = parser.parse_args()
    if not MOSQUITTO:
        print("mosquitto is not installed (apt-get install mosquitto)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="mqtt-outage-"))
    result = outage(args, tmp)
    print(f"reps in the log {result['reps_in_log']}, received {result['received']} "
          f"({result['distinct']} distinct, {result['duplicates']} duplicates), missing {result['missing']}, "
          f"first arrivals in id order: {result['in_order']}", flush=True)
    camera = rates(args, tmp, fast=False, pairs=1, seconds=args.camera_s)
    print(f"loop rate at camera pace (30 fps simulator), publishing on vs off: {camera['median_on']} vs "
          f"{camera['median_off']} fps, {camera['apart_pct']} % apart", flush=True)
    full = rates(args, tmp, fast=True, pairs=args.pairs, seconds=args.rate_s)
    print(f"loop rate at full speed, {args.pairs} pairs: on {full['fps_on']}, off {full['fps_off']} fps; "
          f"medians {full['median_on']} vs {full['median_off']} fps; median pair ratio {full['pair_ratio']} "
          f"({full['apart_pct']} % apart); loop thread CPU per frame {full['cpu_us_per_frame_on']} vs "
          f"{full['cpu_us_per_frame_off']} us (median pair ratio {full['cpu_pair_ratio']}); publisher thread "
          f"CPU {full['publisher_cpu_pct']} % of the time (camera pace: {camera['publisher_cpu_pct']} %)")
    side = side_by_side(args, tmp)
    print(f"loop rate at full speed side by side (two processes at once), {args.rounds} rounds: median "
          f"ratio on/off {side['median_ratio']} ({side['apart_pct']} % apart)")
    print(json.dumps({"outage": result, "camera_pace": camera, "full_speed": full, "side_by_side": side}))
    ok = result["missing"] == 0 and result["in_order"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
