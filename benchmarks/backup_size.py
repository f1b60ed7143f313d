"""Backup time and size for a rep log of ``--reps`` reps while the loop keeps writing reps; then
the restore's check and swap on the same running station.

    .venv/bin/python benchmarks/backup_size.py [--reps 10000] [--runs 5]

A demo station (the simulated trainee as fast as the loop goes, so its loop writes a rep every
few tens of milliseconds) runs in a fresh data folder. Made-up sets carrying its first reps'
metrics, varied (:func:`station.storage.made_up.fill_history`), fill the log until it holds
``--reps`` reps (real metrics, real sizes); then ``--runs`` backups are taken with
:func:`station.storage.backup.write` (the staff page's download) while the loop goes on. Each snapshot is
opened: its integrity check must say ok, and its reps are counted.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def fill(store, target: int) -> int:
    """Made-up reps in sets of 8 over a past year, until the log holds ``target``, with the metrics
    of the demo's first reps (real keys and sizes), varied; the reps added."""
    from station.coach.vocabulary import Side
    from station.storage.made_up import fill_history

    demo = [r["metrics"] for r in reversed(store.reps.newest_first(limit=10**9))]
    have = len(demo)
    return fill_history(store, max(0, target - have), now=time.time(), days=365, seed=7, metrics=demo,
                        facing=Side.LEFT)


def wait_for_reps(store, n: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(store.reps.newest_first(limit=n)) < n:
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
        station.store.accounts.add("bench", "scrypt:32768:8:1$not-a-real-salt$0")
        fill(station.store, args.reps)
        times, sizes, during = [], [], []
        for run in range(args.runs):
            before = station.store.history.totals()["sets"], len(station.store.reps.newest_first(limit=10**9))
            out = folder / f"backup-{run}.zip"
            t0 = time.perf_counter()
            with open(out, "wb") as f:
                write(station.store, station.settings, f, folder)
            times.append(1000 * (time.perf_counter() - t0))
            sizes.append(out.stat().st_size)
            during.append(len(station.store.reps.newest_first(limit=10**9)) - before[1])
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
    from station.storage.replog import RepLog

    with zipfile.ZipFile(path) as z:
        z.extract("station.db", folder / "opened")
    db_path = folder / "opened" / "station.db"
    size = db_path.stat().st_size  # as packed, before opening it makes it a WAL log
    log = RepLog(db_path)
    reps = sum(log.history.totals()["reps"].values())
    integrity = log.db.integrity()
    log.close()
    return reps, size, integrity


def restore_figures(station, path: Path) -> None:
    from station.storage.backup import check

    t0 = time.perf_counter()
    with open(path, "rb") as f:
        checked = check(f, Path(str(station.store.path)))
    t1 = time.perf_counter()
    station.restore(checked, by="benchmark")
    t2 = time.perf_counter()
    before = len(station.store.reps.newest_first(limit=10**9))
    wait_for_reps(station.store, before + 3)
    print(f"restore: check {1000 * (t1 - t0):.0f} ms, swap {1000 * (t2 - t1):.0f} ms; "
          f"{checked.reps} reps restored, the loop went on writing after it")


if __name__ == "__main__":
    raise SystemExit(main())
