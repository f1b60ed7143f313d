"""Made-up history, NOT real data: one way to fill a rep log with a gym's past reps.

For the screenshots (:mod:`tools.screenshots`: charts with something to show) and the benchmarks
that need a big log (``benchmarks/history_page.py``, ``benchmarks/backup_size.py``,
``benchmarks/lan_attacks.py``). Deterministic given ``seed``, and written through
:meth:`station.storage.reps.Reps.add_sets` (one transaction), so every made-up rep has the rows,
ids and schema a coached one has. The station itself never calls this.

    >>> from station.storage.replog import RepLog
    >>> log = RepLog(":memory:")
    >>> fill_history(log, 40, now=1_700_000_000.0, days=7, seed=3)
    40
    >>> len(log.reps.sets()), log.history.trend([(1_700_000_000.0 - 7 * 86400, 1_700_000_000.0)])[0]["reps"]
    (5, 40)
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from station.coach.vocabulary import FaultCode, Side, Verdict
from station.storage.replog import RepLog
from station.storage.reps import NewRep, NewSet
from station.storage.schema import TREND_INDEX

DAY = 86400.0
# Per fault and rep: a few faults in most sets, as the demo's trainee makes.
FAULT_SHARE = 0.04
METRICS: dict[str, Any] = {"duration_s": 2.4, "hip_travel": 0.31, "knee_deg": 14.0, "depth": 0.92}
REP_SPACING_S = 5.0


def fill_history(log: RepLog, reps: int, *, now: float, days: float = 365.0, seed: int = 1,
                 fault_rates: Mapping[FaultCode, float] | None = None, learning: float = 0.0,
                 set_size: tuple[int, int] = (8, 8), metrics: Sequence[Mapping[str, Any]] = (METRICS,),
                 facing: Side | None = None) -> int:
    """Add ``reps`` made-up reps in sets of ``set_size`` (fewest, most) reps, each set begun at a
    random time in the ``days`` before ``now``; the reps added.

    Each rep has each fault with its chance in ``fault_rates`` (default: FAULT_SHARE for every
    fault); ``learning`` makes faults rarer towards ``now`` (0.6: the newest reps have 40 % of the
    oldest's chance, a gym that learns). Each rep's metrics are the next of ``metrics`` in turn,
    every measurement moved by up to 10 % at its own decimals (identical rows would zip far
    smaller than a real log); 0 and 1 are flags (``wall_by_switch``) and stay."""
    rng = random.Random(seed)
    rates = dict(fault_rates) if fault_rates is not None else dict.fromkeys(FaultCode, FAULT_SHARE)
    pool = [dict(m) for m in metrics] or [dict(METRICS)]
    sets, made = [], 0
    while made < reps:
        age = rng.random() * days
        chance = 1 - learning * (1 - age / days)  # learning 0: the same chance throughout
        t = now - age * DAY
        rows = []
        for k in range(min(rng.randint(*set_size), reps - made)):
            faults = [str(c) for c, p in rates.items() if rng.random() < p * chance]
            rows.append(NewRep(t + REP_SPACING_S * k, k + 1, Verdict.FAULT if faults else Verdict.GOOD,
                               faults, _varied(pool[(made + k) % len(pool)], rng)))
        sets.append(NewSet(t, t + REP_SPACING_S * (len(rows) + 1), facing, rows))
        made += len(rows)
    sets.sort(key=lambda s: s.t_start)  # ids in time order, as a real log's
    return log.reps.add_sets(sets)


def _varied(metrics: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = dict(metrics)
    for k, v in out.items():
        if isinstance(v, float) and v not in (0.0, 1.0):
            decimals = len(repr(v).partition(".")[2])
            out[k] = round(v * rng.uniform(0.9, 1.1), decimals)
    return out


def drop_trend_index(log: RepLog) -> None:
    """Take the history's trend index (schema V4) away from ``log``, for a benchmark that
    measures what it buys; the log still works, only slower (the next migration does not bring
    it back: copy the log first)."""
    log.db.write(f"DROP INDEX IF EXISTS {TREND_INDEX}")
