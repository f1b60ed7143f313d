"""What the history page, the CSV and the counters read from the reps: totals, fault counts,
trends by period, and every rep as CSV.

Apart from :mod:`station.storage.reps` because it only reads, in bulk, and its one costly query
(the trend) has an index of its own (schema V4) that :meth:`History.trend_plan` shows it uses.

    >>> from station.storage.database import Database
    >>> from station.storage.reps import Reps
    >>> db = Database(":memory:"); reps = Reps(db); history = History(db, reps)
    >>> s = reps.start_set(100.0)
    >>> _ = reps.add(s, 101.0, 1, Verdict.GOOD, [], {})
    >>> _ = reps.add(s, 102.0, 2, Verdict.FAULT, ["squat"], {})
    >>> history.trend([(100.0, 200.0)])
    [{'reps': 2, 'good': 1, 'sets': 1, 'faults': {'squat': 1}}]
    >>> history.totals()["reps"], history.fault_counts()
    ({'good': 1, 'fault': 1, 'unjudged': 0}, {'squat': 1})
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from station.coach.faults import fault_words
from station.coach.vocabulary import Verdict
from station.storage.database import Database
from station.storage.reps import Reps, rep_dict

# The trend's queries, after a WITH clause that names the spans b(i, lo, hi): per span, reps,
# good reps and sets; then reps per fault code (the spans' edges are plain Unix times).
TREND_TOTALS = """SELECT b.i, COUNT(*) AS reps, SUM(r.verdict = 'good') AS good,
                  COUNT(DISTINCT r.set_id) AS sets
                  FROM b JOIN reps r ON r.t >= b.lo AND r.t < b.hi GROUP BY b.i"""
TREND_FAULTS = """SELECT b.i, f.value AS code, COUNT(*) AS n
                  FROM b JOIN reps r ON r.t >= b.lo AND r.t < b.hi
                  JOIN json_each(r.faults) f WHERE r.verdict = 'fault'
                  GROUP BY b.i, f.value ORDER BY b.i, n DESC"""


# The CSV reads this many reps per query: each holds the log's lock for a moment (milliseconds),
# and no more than these rows (some 1 MB as Python objects) are in memory at once.
CSV_BATCH = 1000
CSV_ROWS = "SELECT * FROM reps WHERE t >= ? AND (t, id) > (?, ?) ORDER BY t, id LIMIT ?"


def _spans(spans: Sequence[tuple[float, float]]) -> tuple[str, list[float]]:
    """The WITH clause naming the spans, and its arguments."""
    bounds = "WITH b(i, lo, hi) AS (VALUES " + ", ".join("(?, ?, ?)" for _ in spans) + ") "
    return bounds, [x for i, (lo, hi) in enumerate(spans) for x in (i, lo, hi)]


class History:
    """Reads over the whole rep log, for the history page, the CSV export and the counters."""

    def __init__(self, db: Database, reps: Reps) -> None:
        self._db, self._reps = db, reps

    def totals(self) -> dict[str, Any]:
        """Everything in the log so far: reps by verdict, faults by code, sets (for counters that
        carry on across restarts rather than start again at zero)."""
        verdicts = {str(v): 0 for v in Verdict}
        for r in self._db.read("SELECT verdict, COUNT(*) AS n FROM reps GROUP BY verdict"):
            verdicts[r["verdict"]] = r["n"]
        sets = int(self._db.read("SELECT COUNT(*) FROM sets")[0][0])
        return {"reps": verdicts, "faults": self.fault_counts(), "sets": sets}

    def fault_counts(self, *, since: float | None = None) -> dict[str, int]:
        """Reps per fault code since ``since`` (all when None), most frequent first."""
        counts: dict[str, int] = {}
        for r in self._db.read("SELECT faults FROM reps WHERE t >= ?",
                               (since if since is not None else -1e18,)):
            for code in json.loads(r["faults"]):
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    def trend(self, spans: Sequence[tuple[float, float]]) -> list[dict[str, Any]]:
        """Per time span ``[start, end)``, in the order given: reps, good reps, sets and reps per
        fault code (a rep with two faults counts once for each).

        The spans are the history's local days, ISO weeks or months (:mod:`station.storage.periods`):
        their edges are computed once in local time, so SQL groups plain Unix times by range
        through the ``reps_t_trend`` index, with no per-row time-zone arithmetic."""
        if not spans:
            return []
        bounds, args = _spans(spans)
        out: list[dict[str, Any]] = [{"reps": 0, "good": 0, "sets": 0, "faults": {}} for _ in spans]
        for r in self._db.read(bounds + TREND_TOTALS, args):
            out[r["i"]].update(reps=r["reps"], good=r["good"], sets=r["sets"])
        for r in self._db.read(bounds + TREND_FAULTS, args):
            out[r["i"]]["faults"][r["code"]] = r["n"]
        return out

    def trend_plan(self, spans: Sequence[tuple[float, float]]) -> list[str]:
        """SQLite's plan (``EXPLAIN QUERY PLAN``) for each of :meth:`trend`'s queries over
        ``spans``, one line of details per query: the very SQL trend runs, so a test of the plan
        tests what the page does."""
        bounds, args = _spans(spans)
        return [" | ".join(str(r["detail"]) for r in self._db.read(f"EXPLAIN QUERY PLAN {bounds}{sql}", args))
                for sql in (TREND_TOTALS, TREND_FAULTS)]

    def export_csv(self, out: TextIO, *, since: float | None = None) -> int:
        """Every rep as CSV (oldest first); the number of rows written."""
        written = 0
        for text, rows in self._csv_pieces(since=since, batch=CSV_BATCH):
            out.write(text)
            written += rows
        return written

    def csv_chunks(self, *, since: float | None = None, batch: int = CSV_BATCH) -> Iterator[str]:
        """Every rep as CSV (oldest first), as pieces of text of ``batch`` rows: the header, then
        the reps read ``batch`` at a time in (time, id) order, so a log of any size is never
        whole in memory (a web download streams the pieces as they come)."""
        for text, _ in self._csv_pieces(since=since, batch=batch):
            yield text

    def _csv_pieces(self, *, since: float | None, batch: int) -> Iterator[tuple[str, int]]:
        lower = since if since is not None else -1e18
        keys = sorted(str(r[0]) for r in self._db.read(
            "SELECT DISTINCT m.key FROM reps r, json_each(r.metrics) m WHERE r.t >= ?", (lower,)))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # fault_names goes last, so a reader that counts columns still finds the metrics where they were
        writer.writerow(["time", "set_id", "rep", "verdict", "faults", *keys, "fault_names"])
        after = (lower, -1)
        while True:
            # t >= the last time read: a range on the index on t, not a scan from the start.
            rows = self._db.read(CSV_ROWS, (max(lower, after[0]), after[0], after[1], batch))
            for row in rows:
                r = rep_dict(row)
                when = datetime.fromtimestamp(r["t"]).isoformat(timespec="seconds")
                writer.writerow([when, r["set_id"], r["rep"], r["verdict"], ";".join(r["faults"]),
                                 *[r["metrics"].get(k, "") for k in keys],
                                 "; ".join(fault_words(c) for c in r["faults"])])
            yield buffer.getvalue(), len(rows)
            buffer.seek(0)
            buffer.truncate()
            if len(rows) < batch:
                return
            after = (rows[-1]["t"], rows[-1]["id"])
