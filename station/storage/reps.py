"""Sets and reps, as the coach writes them: one row per set, one per rep, each on disk at once.

The loop's writes (:class:`station.runtime.rep_recorder.RepRecorder`) and the pages' plain lists
of them. What the history makes of them (totals, trends, the CSV) is
:mod:`station.storage.history`; this module only writes and lists rows.

    >>> from station.storage.database import Database
    >>> reps = Reps(Database(":memory:"))
    >>> set_id = reps.start_set(1700000000.0, facing=Side.LEFT)
    >>> reps.add(set_id, 1700000004.2, 1, Verdict.FAULT, [FaultCode.SQUAT], {"duration_s": 2.1})
    1
    >>> reps.newest_first()[0]["faults"], reps.sets()[0]["reps"]
    (['squat'], 1)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from station.coach.vocabulary import FaultCode, Side, Verdict
from station.storage.database import Database
from station.storage.schema import TOP_REP_ID

START_SET = "INSERT INTO sets (t_start, t_end, facing) VALUES (?, ?, ?)"
# A new rep's id is above every id this log has held, a restored one's included (schema V6).
ADD_REP = (f"INSERT INTO reps (id, set_id, t, rep, verdict, faults, metrics) VALUES (({TOP_REP_ID}) + 1, "
           "?, ?, ?, ?, ?, ?)")


class NewRep(NamedTuple):
    """A rep to write with its set in :meth:`Reps.add_sets`."""

    t: float
    rep: int
    verdict: Verdict | str
    faults: Sequence[FaultCode | str]
    metrics: dict[str, Any]


class NewSet(NamedTuple):
    """A finished set and its reps, written whole by :meth:`Reps.add_sets`."""

    t_start: float
    t_end: float | None
    facing: Side | str | None
    reps: Sequence[NewRep]


class LateSet(NamedTuple):
    """A set whose rows could not be written when they happened (a full or lost disk), written
    by :meth:`Reps.catch_up`: ``set_id`` when its start is in the log (same restore epoch), else
    None and a new set row is made from ``t_start`` and ``facing``."""

    set_id: int | None
    t_start: float
    t_end: float | None
    facing: Side | str | None
    reps: Sequence[NewRep]


def rep_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A ``reps`` row as the pages, the API and the MQTT events carry it (faults and metrics read)."""
    return {"id": row["id"], "set_id": row["set_id"], "t": row["t"], "rep": row["rep"],
            "verdict": row["verdict"], "faults": json.loads(row["faults"]),
            "metrics": json.loads(row["metrics"])}


class Reps:
    """The ``sets`` and ``reps`` tables of one rep log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def start_set(self, t: float, facing: Side | str | None = None) -> int:
        """A new set begun at ``t``; its id."""
        return int(self._db.write(START_SET, (t, None, facing)).lastrowid or 0)

    def end_set(self, set_id: int, t: float, *, epoch: int | None = None) -> None:
        self._db.write("UPDATE sets SET t_end = ? WHERE id = ?", (t, set_id), epoch=epoch)

    def add(self, set_id: int, t: float, rep: int, verdict: Verdict, faults: Sequence[FaultCode],
            metrics: dict[str, float], *, epoch: int | None = None) -> int:
        """Store a rep; it is on disk when this returns; its id. With ``epoch`` (the log's
        :attr:`~station.storage.database.Database.epoch` when the set began), StoreReplaced if a
        restore came since: the set is not in this log."""
        return int(self._db.write(ADD_REP, _rep_args(set_id, rep_t=t, rep=rep, verdict=verdict,
                                                     faults=faults, metrics=metrics),
                                  epoch=epoch).lastrowid or 0)

    def add_sets(self, sets: Iterable[NewSet]) -> int:
        """Whole sets at once, in one transaction (one sync, not one per rep: a made-up year of
        reps, :mod:`station.storage.made_up`); the reps written."""
        written = 0
        with self._db.transaction() as db:
            for s in sets:
                set_id = db.execute(START_SET, (s.t_start, s.t_end, s.facing)).lastrowid
                db.executemany(ADD_REP, [_rep_args(set_id, rep_t=r.t, rep=r.rep, verdict=r.verdict,
                                                   faults=r.faults, metrics=r.metrics) for r in s.reps])
                written += len(s.reps)
        return written

    def catch_up(self, sets: Sequence[LateSet], *, epoch: int | None = None) -> list[tuple[int, list[int]]]:
        """Write what waited, in one transaction (one sync for all of it): each set's start (when
        not in the log), end and reps; per set, its id and its reps' ids. With ``epoch`` (the
        log's when the sets' ids were taken), StoreReplaced if a restore came since."""
        out = []
        with self._db.transaction(epoch=epoch) as db:
            for s in sets:
                set_id = s.set_id
                if set_id is None:
                    set_id = int(db.execute(START_SET, (s.t_start, s.t_end, s.facing)).lastrowid or 0)
                elif s.t_end is not None:
                    db.execute("UPDATE sets SET t_end = ? WHERE id = ?", (s.t_end, set_id))
                ids = [int(db.execute(ADD_REP, _rep_args(set_id, rep_t=r.t, rep=r.rep, verdict=r.verdict,
                                                         faults=r.faults, metrics=r.metrics)).lastrowid or 0)
                       for r in s.reps]
                out.append((set_id, ids))
        return out

    def newest_first(self, *, since: float | None = None, until: float | None = None,
                     limit: int = 1000) -> list[dict[str, Any]]:
        """Reps with ``since <= t < until``, newest first, at most ``limit``."""
        rows = self._db.read(
            "SELECT * FROM reps WHERE t >= ? AND t < ? ORDER BY t DESC, id DESC LIMIT ?",
            (since if since is not None else -1e18, until if until is not None else 1e18, limit))
        return [rep_dict(r) for r in rows]

    def sets(self, *, since: float | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Sets begun at ``since`` or later, newest first, each with its reps and good reps counted."""
        rows = self._db.read(
            """SELECT s.id, s.t_start, s.t_end, s.facing, COUNT(r.id) AS reps,
                      COALESCE(SUM(r.verdict = 'good'), 0) AS good
               FROM sets s LEFT JOIN reps r ON r.set_id = s.id WHERE s.t_start >= ?
               GROUP BY s.id ORDER BY s.t_start DESC LIMIT ?""",
            (since if since is not None else -1e18, limit))
        return [dict(r) for r in rows]


def _rep_args(set_id: int | None, *, rep_t: float, rep: int, verdict: Verdict | str,
              faults: Sequence[FaultCode | str], metrics: dict[str, Any]) -> tuple[Any, ...]:
    return (set_id, rep_t, rep, verdict, json.dumps(list(faults)), json.dumps(metrics))
