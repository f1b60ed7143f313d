"""What keeping sets costs: the loop's share per frame, a set's write, its size, and how long the
loop's own rep writes wait while sets are being written.

    .venv/bin/python benchmarks/set_keeping.py [--reps 15] [--sets 5]

A set of ``--reps`` reps of the simulated trainee (30 fps, poses and dowel) is kept ``--sets``
times into a real rep log on disk (``synchronous=FULL``, as the station runs it):

- the loop's side: :meth:`SetKeeper.frame` per frame, with keeping on (the loop only appends);
- the writer's side: one set turned into pose-stream lines, compressed and inserted;
- its size: the lines, and the compressed row;
- the loop's rep writes (``RepLog.reps.add``, every 33 ms) while another thread saves sets back to
  back, against the same writes with nothing else going on: their slowest and 99th percentile;
  with the rep log's lock shared (as the station runs it) and without (SQLite's busy wait alone).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import zlib
from pathlib import Path


def rep_writes(log, set_id: int, seconds: float) -> list[float]:
    """reps.add latencies (ms), one every 33 ms (the loop's frame period at 30 fps) for ``seconds``."""
    from station.coach.vocabulary import Verdict

    out = []
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        t0 = time.perf_counter()
        log.reps.add(set_id, time.time(), n, Verdict.GOOD, [], {"duration_s": 2.0})
        out.append(1000 * (time.perf_counter() - t0))
        time.sleep(max(0.0, 0.033 - (time.perf_counter() - t0)))
    return out


def writes_while_saving(log, kept, set_ids: list[int], lines: list[str]) -> list[float]:
    """The loop's rep writes while another thread saves sets back to back (far more often than a
    gym's one set a minute)."""
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            for set_id in set_ids:
                kept.save(set_id, time.time(), lines, [], False)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        return rep_writes(log, log.reps.start_set(time.time()), 2.0)
    finally:
        stop.set()
        thread.join()


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(0.99 * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15, help="reps in the kept set (default 15)")
    parser.add_argument("--sets", type=int, default=5, help="sets written (default 5)")
    args = parser.parse_args()

    from station.coach.coach import Coach
    from station.coach.events import RepFinished, SetEnded
    from station.config.settings import Settings
    from station.kept_sets.keeper import SetKeeper
    from station.sim import Body, RepPlan, SetPlan, Trainee
    from station.storage.kept_sets import KeptSets
    from station.storage.replog import RepLog

    plan = SetPlan(reps=tuple(RepPlan() for _ in range(args.reps)), approach_s=1.0)
    frames = list(Trainee(Body(), plan, seed=1).frames())
    log = RepLog.open(Path(tempfile.mkdtemp(prefix="set-keeping-")))
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: print(f"error: {why}"), days=30)
    per_frame: list[float] = []
    finished, saves = [], []
    for _ in range(args.sets):
        coach, set_id = Coach(Settings()), log.reps.start_set(time.time())
        for f in frames:
            events = coach.step(f.t, f.pose, f.dowel, f.wall_contact).events
            t0 = time.perf_counter()
            keeper.frame(True, f.t, f.pose, f.dowel, f.wall_contact)
            per_frame.append(1e6 * (time.perf_counter() - t0))
            for e in events:
                if isinstance(e, RepFinished):
                    log.reps.add(set_id, time.time(), e.rep, e.verdict, e.faults, e.metrics)
                keeper.event(e, set_id)
                if isinstance(e, SetEnded):
                    finished.append(set_id)
        # Timed here, one set at a time; the station does this on the keeper's writer thread.
        item = keeper._waiting.get_nowait()
        assert item is not None
        t0 = time.perf_counter()
        keeper.save(item)
        saves.append(1000 * (time.perf_counter() - t0))
    done = keeper.kept.count()
    lines = keeper.kept.lines(finished[0]) if finished else []
    raw_kb = sum(len(line) + 1 for line in lines) / 1024
    packed_kb = len(zlib.compress("\n".join(lines).encode(), 6)) / 1024
    one = keeper.kept.get(finished[0]) if finished else None

    quiet = rep_writes(log, log.reps.start_set(time.time()), 2.0)
    busy = writes_while_saving(log, keeper.kept, finished, lines)
    apart = KeptSets(log.path)  # its own connection, no shared lock: SQLite's busy wait only
    busy_apart = writes_while_saving(log, apart, finished, lines)
    apart.close()
    keeper.close()

    print(f"{args.sets} sets of {args.reps} reps kept, {len(frames)} frames each "
          f"({frames[-1].t:.1f} s at 30 fps), {done} written, "
          f"{one['frames'] if one else 0} frames in the first")
    print(f"loop per frame (keeping on): mean {statistics.mean(per_frame):.2f} us, "
          f"p99 {p99(per_frame):.2f} us")
    print(f"set write (lines, compress, insert): median {statistics.median(saves or [0]):.1f} ms, "
          f"max {max(saves or [0]):.1f} ms (on the writer thread)")
    print(f"set size: {raw_kb:.0f} KB of pose-stream lines, {packed_kb:.0f} KB kept "
          f"({raw_kb / max(packed_kb, 1e-9):.1f}x smaller)")
    print(f"loop rep write alone: p99 {p99(quiet):.2f} ms, max {max(quiet):.2f} ms ({len(quiet)} writes)")
    print(f"loop rep write while sets are written: p99 {p99(busy):.2f} ms, max {max(busy):.2f} ms "
          f"({len(busy)} writes)")
    print(f"  the same without the shared lock: p99 {p99(busy_apart):.2f} ms, max {max(busy_apart):.2f} ms "
          f"({len(busy_apart)} writes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
