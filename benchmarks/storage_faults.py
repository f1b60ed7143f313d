"""Storage faults against a running demo station (issue 27, items 5 and 7): what is lost, who waits.

    .venv/bin/python benchmarks/storage_faults.py [--only full,lock,deleted] [--tree DIR]

Each attack runs a demo station in this process (the simulated trainee, as fast as it goes; its
real rep log, and for ``lock`` the real waitress server on a free loopback port):

- ``full``: the data folder's disk fills while the member keeps hinging, then space returns.
  A real tmpfs filled to its last byte when run as root (mounted for the run, unmounted after);
  elsewhere SQLite's own ``database or disk is full`` from ``PRAGMA max_page_count``. Prints reps
  made (the coach's finished reps), reps in the log at the end, and the difference (lost).
- ``lock``: a write stuck on a dying card, as the log's lock held for ``--hold`` seconds, while
  96 anonymous ``/api/health`` requests arrive at once from 12 addresses (more than the server's
  threads, each address under its connection cap); prints
  the slowest health answer and how long the member page and the sign-in page took meanwhile.
- ``deleted``: the whole data folder removed while the station runs; prints reps made, and reps
  in the log found at the data folder after a restart.
- ``waiting``: the memory the waiting reps hold at their bound (rep_recorder.MAX_WAITING_REPS),
  measured with tracemalloc (this checkout only: a "before" has no such bound).

``--tree DIR``: run another checkout's station (e.g. ``git archive <commit> station | tar -x -C
DIR``) for its "before" figures; the attacks only use what both have.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOOD = 96  # the count: more than the server's 80 threads (web/__init__.py THREADS)


def use_tree(tree: Path) -> None:
    """Import ``station`` from ``tree`` instead of this checkout (the editable install's finder
    would otherwise win over sys.path)."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")
                        and "editable" not in repr(f)]
    sys.path.insert(0, str(tree))


class Reps:
    """A loop observer counting the coach's finished reps (stored or not)."""

    def __init__(self) -> None:
        self.made = 0

    def frame(self, inference_ms: float | None, coach_ms: float) -> None:
        pass

    def events(self, events: list[dict[str, Any]]) -> None:
        self.made += sum(1 for e in events if e.get("event") == "rep_finished")


def demo(data: Path, reps: Reps | None = None) -> Any:
    from station.camera.sources import SimSource
    from station.config.settings import Settings
    from station.runtime.station import Station

    return Station(Settings(), SimSource(fast=True, seed=7), data_dir=data, demo=True,
                   observers=[reps] if reps else [])


def count_reps(db: Path) -> int:
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(db)) as con:
        return int(con.execute("SELECT COUNT(*) FROM reps").fetchone()[0])


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[bool]:
    """A tmpfs at ``folder`` when this process may mount one (yields True), else nothing (False)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
    with open(filler, "ab", buffering=0) as out, contextlib.suppress(OSError):
        while True:  # the last partial block
            out.write(b"\0" * 512)
    return filler


def attack_full(work: Path, seconds: float) -> None:
    card = work / "card"
    with small_disk(card, "64m") as mounted:
        data = card / "data"
        reps = Reps()
        station = demo(data, reps)
        pages = station.store.db.read("PRAGMA page_count")[0][0]
        station.start()
        time.sleep(seconds)
        before = reps.made
        if mounted:
            filler = fill(card)
        else:
            station.store.db.write(f"PRAGMA max_page_count = {pages + 2}")
        time.sleep(seconds)
        during = reps.made - before
        health = station.health()
        if mounted:
            filler.unlink()
        else:
            station.store.db.write("PRAGMA max_page_count = 1073741823")
        time.sleep(seconds)  # the next events (or the loop's retry) write what waited
        station.stop()
        made = reps.made
        station.store.close()
        stored = count_reps(data / "station.db")
        how = "a real tmpfs filled to its last byte" if mounted else "PRAGMA max_page_count"
        print(f"disk full ({how}) for {seconds:.1f} s: {during} reps made while full, "
              f"health said {health.get('reps_waiting_to_store', 'nothing of')} waiting; "
              f"{made} reps made in all, {stored} in the log after space returned, lost {made - stored}")


def get(port: int, path: str, source: str = "127.0.0.1", timeout: float = 60.0) -> tuple[int, float]:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        status = conn.getresponse().status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.monotonic() - t0


def attack_lock(work: Path, hold: float) -> None:
    from station.web import create_app, make_server

    station = demo(work / "lock")
    app = create_app(station)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server(app, "127.0.0.1", port)
    threading.Thread(target=server.run, daemon=True).start()
    station.start()
    time.sleep(3.0)  # the storage watch (where there is one) has looked once
    get(port, "/")  # warm: templates compiled
    results: list[tuple[int, float]] = []
    lock = station.store.db.write_lock
    lock.acquire()  # a write stuck on a frozen card
    released = threading.Timer(hold, lock.release)
    released.start()
    # from 12 addresses, 8 each: under the per-address cap (16), so it is the threads that run out
    def ask(address: str) -> None:
        results.append(get(port, "/api/health", address))

    flood = [threading.Thread(target=ask, args=(f"127.0.1.{1 + i % 12}",), daemon=True) for i in range(FLOOD)]
    for t in flood:
        t.start()
    time.sleep(0.5)
    member = get(port, "/")
    signin = get(port, "/staff/signin")
    for t in flood:
        t.join(hold + 60)
    released.join()
    station.stop()
    server.close()
    station.store.close()
    slowest = max(took for _, took in results) if results else float("nan")
    print(f"rep log's lock held {hold:.0f} s, {FLOOD} anonymous health requests: slowest health "
          f"{slowest:.2f} s; member page {member[1]:.2f} s (HTTP {member[0]}); sign-in page "
          f"{signin[1]:.2f} s (HTTP {signin[0]})")


def attack_deleted(work: Path, seconds: float) -> None:
    data = work / "deleted"
    reps = Reps()
    station = demo(data, reps)
    station.start()
    time.sleep(seconds)
    before = reps.made
    shutil.rmtree(data)
    time.sleep(seconds)
    station.stop()
    made = reps.made
    health = station.health()
    station.store.close()
    stored = count_reps(data / "station.db")  # what a restart finds
    print(f"data folder deleted while running: {before} reps before, {made - before} after; "
          f"health status {health['status']}; {stored} of {made} in the log a restart finds, "
          f"lost {made - stored}")


def attack_waiting(work: Path) -> None:
    """Memory of the reps that wait: the bound's worth made on a log at its size limit."""
    import tracemalloc

    from station.coach.events import RepFinished, SetStarted
    from station.coach.vocabulary import FaultCode, Side, Verdict
    from station.runtime import rep_recorder
    from station.storage.replog import RepLog

    store = RepLog.open(work / "waiting")
    pages = store.db.read("PRAGMA page_count")[0][0]
    store.db.write(f"PRAGMA max_page_count = {pages}")
    recorder = rep_recorder.RepRecorder(store, lambda source, why: None)
    metrics = {"duration_s": 2.61, "hinge_deg": 71.3, "knee_deg": 21.7, "spine_bulge": 0.031,
               "shin_deg": 6.2, "contacts": 3.0, "wall_s": 1.42}
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    recorder.record(SetStarted(t=0.0, set_no=1, facing=Side.LEFT))
    n = rep_recorder.MAX_WAITING_REPS
    for i in range(n + 1000):  # the first few fit the log's free space; then they wait, then the bound
        recorder.record(RepFinished(t=float(i), set_no=1, rep=i + 1, verdict=Verdict.FAULT,
                                    faults=(FaultCode.SQUAT,), metrics=dict(metrics)))
        if recorder.not_kept >= 10:
            break
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"reps waiting in memory: {recorder.waiting_reps} (the bound), {recorder.not_kept} beyond it "
          f"not kept; {held / 2**20:.1f} MiB held, {held / max(1, recorder.waiting_reps):.0f} bytes a rep")
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="full,lock,deleted,waiting", help="attacks to run, comma-separated")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="each phase of the full and deleted attacks")
    parser.add_argument("--hold", type=float, default=10.0, help="how long the log's lock is held")
    parser.add_argument("--tree", type=Path, help="another checkout's station (before figures)")
    args = parser.parse_args()
    if args.tree:
        use_tree(args.tree)
    else:
        sys.path.insert(0, str(ROOT))
    import station

    print(f"station from {Path(station.__file__).parent}", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="storage-faults-"))
    try:
        for name in args.only.split(","):
            {"full": lambda: attack_full(work, args.seconds), "lock": lambda: attack_lock(work, args.hold),
             "deleted": lambda: attack_deleted(work, args.seconds),
             "waiting": lambda: attack_waiting(work)}[name.strip()]()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
