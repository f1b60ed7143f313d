"""Backup time and size for a rep log of ``--reps`` reps while the loop keeps writing reps; then
the restore's check and swap on the same running station.

    .venv/bin/python benchmarks/backup_size.py [--reps 10000] [--runs 5]

A demo station (the simulated trainee as fast as the loop goes, so its loop writes a rep every
few tens of milliseconds) runs in a fresh data folder. Its first reps' rows are copied until the
log holds ``--reps`` reps (real metrics, real sizes); then ``--runs`` backups are taken with
:func:`station.storage.backup.write` (the staff page's download) while the loop goes on. Each snapshot is
opened: its integrity check must say ok, and its reps are counted.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def varied(metrics: str, rng: random.Random) -> str:
    """A rep's metrics with each measurement moved by up to 10 %, kept to its decimals: real reps
    differ, and identical copies would zip far smaller than a real log."""
    values = json.loads(metrics)
    for k, v in values.items():
        if isinstance(v, float) and not k.startswith("wall_by"):
            decimals = len(repr(v).partition(".")[2])
            values[k] = round(v * rng.uniform(0.9, 1.1), decimals)
    return json.dumps(values)


def fill(db_path: Path, target: int) -> int:
    """Copy the log's reps, varied, in new sets of 8 until it holds ``target``; the reps added."""
    rng = random.Random(7)
    db = sqlite3.connect(str(db_path), timeout=10)
    rows = db.execute("SELECT verdict, faults, metrics FROM reps ORDER BY id").fetchall()
    have = db.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    t = time.time() - 86400 * 365  # spread over a past year, as a real log is
    added = 0
    with db:
        while have + added < target:
            set_id = db.execute("INSERT INTO sets (t_start, t_end, facing) VALUES (?, ?, 'left')",
                                (t, t + 40)).lastrowid
            for i in range(min(8, target - have - added)):
                verdict, faults, metrics = rows[(added + i) % len(rows)]
                row = (set_id, t + 5 * i + rng.random(), i + 1, verdict, faults, varied(metrics, rng))
                db.execute("INSERT INTO reps (set_id, t, rep, verdict, faults, metrics) "
                           "VALUES (?, ?, ?, ?, ?, ?)", row)
            added += min(8, target - have - added)
            t += 3000
    db.close()
    return added


def wait_for_reps(store, n: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(store.reps(limit=n)) < n:
        if time.monotonic() > deadline:
            sys.exit(f"the demo loop wrote fewer than {n} reps in {timeout:.0f} s")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    from station.camera.sources import SimSource
    from station.config.settings import Settings
    from station.runtime.station import Station
    from station.storage.backup import write

    folder = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    station = Station(Settings(), SimSource(seed=1, fast=True), data_dir=folder, demo=True)
    station.start()
    try:
        wait_for_reps(station.store, 4)
        # A staff account, as every station has once set up (a restore refuses a log without one).
        station.store.add_account("bench", "scrypt:32768:8:1$not-a-real-salt$0")
        fill(Path(str(station.store.path)), args.reps)
        times, sizes, during = [], [], []
        for run in range(args.runs):
            before = station.store.totals()["sets"], len(station.store.reps(limit=10**9))
            out = folder / f"backup-{run}.zip"
            t0 = time.perf_counter()
            with open(out, "wb") as f:
                write(station.store, station.settings, f, folder)
            times.append(1000 * (time.perf_counter() - t0))
            sizes.append(out.stat().st_size)
            during.append(len(station.store.reps(limit=10**9)) - before[1])
        snap_reps, db_bytes, integrity = open_snapshot(out, folder)
        print(f"log: {snap_reps} reps in the last snapshot; the loop wrote {sum(during)} more reps "
              f"during the {args.runs} backups")
        print(f"snapshot integrity: {integrity}")
        print(f"backup time: median {statistics.median(times):.0f} ms (min {min(times):.0f}, "
              f"max {max(times):.0f}) over {args.runs} runs")
        print(f"backup size: {sizes[-1] / 1024:.0f} KiB zipped, log {db_bytes / 1024:.0f} KiB "
              f"({sizes[-1] / max(1, snap_reps):.0f} bytes a rep zipped)")
        restore_figures(station, out)
    finally:
        station.stop()
    return 0


def open_snapshot(path: Path, folder: Path) -> tuple[int, int, str]:
    """(reps, log bytes, integrity_check) of the backup's rep log."""
    with zipfile.ZipFile(path) as z:
        z.extract("station.db", folder / "opened")
    db_path = folder / "opened" / "station.db"
    db = sqlite3.connect(str(db_path))
    reps = db.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return reps, db_path.stat().st_size, integrity


def restore_figures(station, path: Path) -> None:
    from station.storage.backup import check

    t0 = time.perf_counter()
    with open(path, "rb") as f:
        checked = check(f, Path(str(station.store.path)))
    t1 = time.perf_counter()
    station.restore(checked, by="benchmark")
    t2 = time.perf_counter()
    before = len(station.store.reps(limit=10**9))
    wait_for_reps(station.store, before + 3)
    print(f"restore: check {1000 * (t1 - t0):.0f} ms, swap {1000 * (t2 - t1):.0f} ms; "
          f"{checked.reps} reps restored, the loop went on writing after it")


if __name__ == "__main__":
    raise SystemExit(main())
