"""How long the staff history page takes to render over a big rep log.

    .venv/bin/python benchmarks/history_page.py [--reps 10000 100000] [--runs 5]

For each size, a fresh rep log gets that many reps (sets of 8, spread over the last 12 months,
4 % of reps per fault at random: a busy gym's year is about 100k reps), and a signed-in staff
browser (Flask's test client on the real app) asks for the history page by week, by month and by
day. It prints the median render time of each, and the same by month without the trend index
(``reps_t_trend``, store migration V4) to show what the index buys. Nothing is judged here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "a long enough password"


def fill(data_dir: Path, reps: int, now: float, seed: int = 1) -> None:
    """``reps`` reps in sets of 8 over the 365 days before ``now``, in one transaction."""
    from station.storage.made_up import fill_history
    from station.storage.replog import RepLog

    log = RepLog.open(data_dir)
    fill_history(log, reps, now=now, days=365, seed=seed)
    log.close()


def signed_in(data_dir: Path):
    """The web app on a demo station (not started) over ``data_dir``, and a staff test client."""
    from station.camera.sources import SimSource
    from station.config.settings import Settings
    from station.runtime.station import Station
    from station.web import create_app
    from station.web.auth import hash_password

    station = Station(Settings(), SimSource(seed=1), data_dir=data_dir, demo=True)
    station.store.accounts.add("bench", hash_password(PASSWORD))
    app = create_app(station)
    client = app.test_client()
    page = client.get("/staff/signin").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/staff/signin", data={"csrf_token": token, "name": "bench", "password": PASSWORD})
    if r.status_code != 302:
        raise SystemExit(f"could not sign in: HTTP {r.status_code}")
    return station, client


def median_ms(client, url: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - start)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}")
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from station.storage.made_up import drop_trend_index

    now = time.time()
    for reps in args.reps:
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder)
            start = time.perf_counter()
            fill(data_dir, reps, now)
            print(f"{reps} reps: log filled in {time.perf_counter() - start:.1f} s")
            station, client = signed_in(data_dir)
            for unit in ("week", "month", "day"):
                ms = median_ms(client, f"/staff/history?by={unit}", args.runs)
                print(f"{reps} reps: history by {unit}: {ms:.1f} ms (median of {args.runs})")
            drop_trend_index(station.store)  # what the index buys
            ms = median_ms(client, "/staff/history?by=month", args.runs)
            print(f"{reps} reps: history by month without the trend index: {ms:.1f} ms")
            station.store.close()


if __name__ == "__main__":
    main()
