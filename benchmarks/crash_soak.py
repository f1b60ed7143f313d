"""Kill the station with SIGKILL at random moments, many times: is every reported rep on disk?

    .venv/bin/python benchmarks/crash_soak.py [--kills 100]

Each round starts ``station run --sim --fast --headless --print-reps`` on the same data
directory, reads the reps it reports (each printed after the rep log committed it), kills it
after a random 0.5-3 s, then checks ``PRAGMA integrity_check`` and that every reported rep is there.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the station that runs is this checkout's


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = Path(tempfile.mkdtemp())
    reported: set[int] = set()
    bad_integrity = missing = 0
    for kill in range(args.kills):
        proc = subprocess.Popen(
            [sys.executable, "-m", "station", "run", "--sim", "--fast", "--headless", "--print-reps",
             "--seed", str(kill), "--data", str(data)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        proc.stdout.readline()
        deadline = time.monotonic() + rng.uniform(0.5, 3.0)
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("{"):
                reported.add(json.loads(line)["id"])
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db = sqlite3.connect(data / "station.db")
        bad_integrity += db.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM reps")}
        db.close()
        missing = len(reported - stored)  # every rep reported so far, against the whole log
        print(f"\r[{'#' * (30 * (kill + 1) // args.kills):30s}] kill {kill + 1}/{args.kills}", end="",
              file=sys.stderr)
    print(file=sys.stderr)
    print(f"{args.kills} SIGKILLs: integrity_check failed {bad_integrity} times; "
          f"{len(reported)} reps reported, {missing} of them missing from the log")
    return 1 if bad_integrity or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
