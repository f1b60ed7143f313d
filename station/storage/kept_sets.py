"""Kept sets in the rep log: each set's poses as pose-stream lines, its reps' times, staff's labels.

Staff turn keeping on (the ``keep_sets`` setting); :mod:`station.kept_sets.keeper` hands each finished
set here. Only landmarks are kept, never pixels: the lines are those of a pose stream
(:mod:`station.streams.format`), zlib-compressed in one row per set. Reps themselves stay in the
``reps`` table; a kept set adds where each rep lies in its stream (seconds from its first frame).

This class has its own SQLite connection (as :class:`station.storage.outbox.Outbox` has), so reading a set
for the staff pages never takes the loop's lock. Writes (a set, a prune, labels) take the rep log's
lock as well when given it (``Database.write_lock``): the loop's own rep writes then wait for one
insert at most, woken the moment it ends, not by SQLite's busy wait.

    >>> import tempfile, pathlib
    >>> from station.storage.replog import RepLog
    >>> log = RepLog.open(pathlib.Path(tempfile.mkdtemp())); s = log.reps.start_set(1.0)
    >>> _ = log.reps.add(s, 5.0, 1, Verdict.GOOD, [], {})
    >>> kept = KeptSets(log.path); kept.save(s, 1.0, ['{"t":0.0}', '{"t":3.0}'], [(1, 0.5, 2.5)], False)
    >>> kept.get(s)["reps"][0]["verdict"], kept.lines(s)
    ('good', ['{"t":0.0}', '{"t":3.0}'])
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from station.coach.vocabulary import FaultCode, Verdict
from station.storage import StoreError, StoreReplaced
from station.storage.database import LogReader
from station.storage.replog import RepLog

FAULT_CODES = frozenset(str(c) for c in FaultCode)
# A kept set's reps staff have labelled or struck out as invented (k: the kept_sets row): the
# list's count and the export's "every rep labelled" both read it.
LABELLED_REPS = """(SELECT COUNT(*) FROM (SELECT rep FROM rep_labels l WHERE l.set_id = k.set_id
    UNION SELECT rep FROM count_labels c WHERE c.set_id = k.set_id AND c.kind = 'invented'))"""
# zlib level 6 (its default): pose lines shrink about fivefold; 9 saves little more for more CPU.
ZLIB_LEVEL = 6
# Decompressed at most this much at a time when a set's lines are read one by one.
UNPACK_BYTES = 64 * 1024


class LabelProblem(ValueError):
    """A label that contradicts the coach's verdict or names an unknown fault; says which rep."""


class KeptSets(LogReader):
    """Kept sets and their labels, on a connection of its own to the rep log at ``path``."""

    def __init__(self, path: Path | str, write_lock: AbstractContextManager[Any] | None = None,
                 epoch: Callable[[], int] | None = None) -> None:
        # The rep log's own lock (Database.write_lock), held around each write of this connection,
        # and its restore count (Database.epoch): a set begun before a restore is not in the log.
        self._write_lock = write_lock or threading.Lock()
        self._epoch = epoch
        # FULL: a kept set or a label survives a power cut.
        super().__init__(path, "kept sets", ["PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"])

    @classmethod
    def of(cls, log: RepLog) -> KeptSets:
        """Kept sets of a running rep log: its lock shared, its restores followed."""
        return cls(log.path, log.db.write_lock, lambda: log.db.epoch)

    def _change(self, sql: str, rows: Sequence[Sequence[Any]], epoch: int | None = None) -> int:
        """One transaction writing ``rows`` with ``sql``, under the rep log's lock; rows changed.
        With ``epoch`` (the log's when the set began), StoreReplaced if a restore came since."""
        with self._write_lock, self._lock:
            if epoch is not None and self._epoch is not None and epoch != self._epoch():
                raise StoreReplaced("the rep log was restored from a backup since this set began")
            self._follow()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                cur = self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"kept sets: {exc}") from None
            return cur.rowcount

    # ---------------------------------------------------------------- the keeper's side
    def epoch(self) -> int | None:
        """The rep log's restore count now (None: not followed)."""
        return self._epoch() if self._epoch is not None else None

    def save(self, set_id: int, t_start: float, lines: Sequence[str],
             rep_times: Sequence[tuple[int, float, float]], truncated: bool,
             epoch: int | None = None) -> None:
        """Keep one set: its pose-stream lines (time from 0 s) and each rep's (number, start, end);
        with ``epoch``, StoreReplaced when a restore came since the set began."""
        blob = zlib.compress("\n".join(lines).encode("utf-8"), ZLIB_LEVEL)
        duration = _line_time(lines[-1]) if lines else 0.0
        self._change("INSERT OR REPLACE INTO kept_sets (set_id, t_start, frames, duration_s, truncated, "
                     "rep_times, poses) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(set_id, t_start, len(lines), duration, int(truncated),
                       json.dumps([list(r) for r in rep_times]), blob)], epoch)

    def prune(self, before: float) -> int:
        """Forget sets kept from before ``before`` (and their labels); how many went."""
        return self._change("DELETE FROM kept_sets WHERE t_start < ?", [(before,)])

    # ---------------------------------------------------------------- the staff pages' side
    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM kept_sets")[0][0])

    def page(self, offset: int = 0, limit: int = 25) -> list[dict[str, Any]]:
        """Newest first: time, reps, good and faulty reps, labelled reps, frames and length."""
        rows = self._query(
            f"""SELECT k.set_id, k.t_start, k.frames, k.duration_s, k.truncated, k.rep_times,
                       {LABELLED_REPS} AS labelled
               FROM kept_sets k ORDER BY k.t_start DESC, k.set_id DESC LIMIT ? OFFSET ?""",
            (limit, offset))
        out = []
        for r in rows:
            reps = self._reps(r["set_id"], _rep_times(r["rep_times"]))
            good = sum(rep["verdict"] == Verdict.GOOD for rep in reps)
            out.append({"set_id": r["set_id"], "t_start": r["t_start"], "frames": r["frames"],
                        "duration_s": r["duration_s"], "truncated": bool(r["truncated"]),
                        "reps": len(reps), "good": good,
                        "fault": sum(rep["verdict"] == Verdict.FAULT for rep in reps),
                        "labelled": min(r["labelled"], len(reps))})
        return out

    def get(self, set_id: int) -> dict[str, Any] | None:
        """One kept set without its poses: times, and each rep with its verdict, faults, times in
        the stream and staff's label (None when not labelled)."""
        rows = self._query("SELECT set_id, t_start, frames, duration_s, truncated, rep_times "
                           "FROM kept_sets WHERE set_id = ?", (set_id,))
        if not rows:
            return None
        r = rows[0]
        facing = self._query("SELECT facing FROM sets WHERE id = ?", (set_id,))
        missed = self._query("SELECT id, at, faults, by, t FROM count_labels WHERE set_id = ? "
                             "AND kind = 'missed' ORDER BY at, id", (set_id,))
        return {"set_id": set_id, "t_start": r["t_start"], "frames": r["frames"],
                "duration_s": r["duration_s"], "truncated": bool(r["truncated"]),
                "facing": facing[0]["facing"] if facing else None,
                "reps": self._reps(set_id, _rep_times(r["rep_times"])),
                "missed": [{"id": m["id"], "at": m["at"], "faults": json.loads(m["faults"]),
                            "by": m["by"], "t": m["t"]} for m in missed],
                "settings": self._settings_at(r["t_start"])}

    def _settings_at(self, t: float) -> Any:
        """The settings saved last before ``t`` (as stored: a dict, or None when none was saved
        or the row does not read): those the coach ran with when the set was kept."""
        rows = self._query('SELECT "values" FROM settings WHERE t <= ? ORDER BY version DESC LIMIT 1', (t,))
        if not rows:
            return None
        try:
            return json.loads(rows[0]["values"])
        except (ValueError, TypeError, RecursionError):
            return None

    def _reps(self, set_id: int, times: dict[int, tuple[float, float]]) -> list[dict[str, Any]]:
        rows = self._query("SELECT rep, verdict, faults FROM reps WHERE set_id = ? ORDER BY rep, id",
                           (set_id,))
        labels = {r["rep"]: r for r in self._query(
            "SELECT rep, verdict_right, faults, by, t FROM rep_labels WHERE set_id = ?", (set_id,))}
        struck = {r["rep"]: r for r in self._query(
            "SELECT rep, by, t FROM count_labels WHERE set_id = ? AND kind = 'invented'", (set_id,))}
        out = []
        for r in rows:
            if r["rep"] not in times:
                continue  # finished after the set's frames were capped: not in the stream
            label = labels.get(r["rep"])
            start, end = times[r["rep"]]
            gone = struck.get(r["rep"])
            out.append({"rep": r["rep"], "verdict": r["verdict"], "faults": json.loads(r["faults"]),
                        "start": start, "end": end,
                        "struck": None if gone is None else {"by": gone["by"], "t": gone["t"]},
                        "label": None if label is None else {
                            "verdict_right": bool(label["verdict_right"]),
                            "faults": json.loads(label["faults"]), "by": label["by"], "t": label["t"]}})
        return out

    def lines(self, set_id: int) -> list[str]:
        """The set's pose-stream lines (empty when it is not kept)."""
        packed = self.packed(set_id)
        return list(unpacked_lines(packed, set_id)) if packed is not None else []

    def packed(self, set_id: int) -> bytes | None:
        """The set's pose-stream lines as kept (zlib-compressed; None when it is not kept): read
        them one at a time with :func:`unpacked_lines`, never all at once."""
        rows = self._query("SELECT poses FROM kept_sets WHERE set_id = ?", (set_id,))
        return bytes(rows[0]["poses"]) if rows else None

    def label(self, set_id: int, labels: Mapping[int, tuple[bool, Sequence[str]]], by: str) -> int:
        """Store staff's labels: rep number -> (the verdict was right, the rep's true faults); for a
        rep the coach did not judge, "right" means it was truly good.
        LabelProblem (nothing stored) when one contradicts itself; how many reps were labelled."""
        kept = self.get(set_id)
        if kept is None:
            raise LabelProblem(f"set {set_id} is not kept")
        reps = {r["rep"]: r for r in kept["reps"]}
        rows = []
        for rep, (right, faults) in sorted(labels.items()):
            if rep not in reps:
                raise LabelProblem(f"rep {rep} is not in set {set_id}")
            rows.append((set_id, rep, int(right), json.dumps(_checked(rep, reps[rep]["verdict"], right,
                                                                      faults)), by, time.time()))
        self._change("INSERT OR REPLACE INTO rep_labels (set_id, rep, verdict_right, faults, by, t) "
                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def strike(self, set_id: int, rep: int, by: str, struck: bool = True) -> None:
        """Mark one of the coach's reps as invented (no rep happened there), or take that back.
        LabelProblem when the set or the rep is not kept."""
        kept = self.get(set_id)
        if kept is None:
            raise LabelProblem(f"set {set_id} is not kept")
        if rep not in {r["rep"] for r in kept["reps"]}:
            raise LabelProblem(f"rep {rep} is not in set {set_id}")
        if struck:
            self._change("INSERT OR IGNORE INTO count_labels (set_id, kind, rep, at, faults, by, t) "
                         "VALUES (?, 'invented', ?, NULL, '[]', ?, ?)", [(set_id, rep, by, time.time())])
        else:
            self._change("DELETE FROM count_labels WHERE set_id = ? AND kind = 'invented' AND rep = ?",
                         [(set_id, rep)])

    def add_missed(self, set_id: int, at: float, faults: Sequence[str], by: str) -> None:
        """A rep the coach missed, at its deepest moment ``at`` (seconds into the set's stream),
        with the faults it truly had (none for a good rep). LabelProblem when it does not fit."""
        kept = self.get(set_id)
        if kept is None:
            raise LabelProblem(f"set {set_id} is not kept")
        if not 0.0 <= at <= kept["duration_s"]:
            raise LabelProblem(f"a missed rep must lie within the set's {kept['duration_s']:.1f} s")
        for rep in kept["reps"]:
            if rep["start"] <= at <= rep["end"] and rep["struck"] is None:
                raise LabelProblem(f"rep {rep['rep']} is under way at {at:.1f} s: label that rep instead")
        codes = _fault_codes(faults, "the missed rep")
        self._change("INSERT INTO count_labels (set_id, kind, rep, at, faults, by, t) "
                     "VALUES (?, 'missed', NULL, ?, ?, ?, ?)",
                     [(set_id, round(at, 2), json.dumps(codes), by, time.time())])

    def remove_missed(self, set_id: int, label_id: int) -> bool:
        """Take back a missed rep staff added; False when there was none."""
        return self._change("DELETE FROM count_labels WHERE set_id = ? AND id = ? AND kind = 'missed'",
                            [(set_id, label_id)]) > 0

    def labelled(self) -> list[int]:
        """Sets (oldest first) whose every rep in the stream is labelled or struck out, and that
        have reps (the coach's or ones staff added)."""
        # Labels exist only for reps in the stream (label() checks), so counting them is enough.
        # A rep struck out as invented needs no verdict label; a set the coach counted nothing in
        # is labelled once staff added the reps it missed.
        rows = self._query(
            f"""SELECT k.set_id FROM kept_sets k
               WHERE (json_array_length(k.rep_times) > 0 OR EXISTS (SELECT 1 FROM count_labels c
                      WHERE c.set_id = k.set_id AND c.kind = 'missed'))
               AND {LABELLED_REPS} >= json_array_length(k.rep_times)
               ORDER BY k.t_start, k.set_id""")
        return [int(r["set_id"]) for r in rows]

    def cut(self, *, since: float | None = None, before: float | None = None,
            under_way: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Sets the station stopped in the middle of (a restart, a crash, a power cut), newest first:
        never ended in the rep log and not kept, begun in ``since <= t_start < before``;
        ``under_way`` is the set going on now (not cut). Each with its reps and good reps counted
        (those reps are in the log: only the set's end and its poses are missing)."""
        rows = self._query(
            """SELECT s.id AS set_id, s.t_start, COUNT(r.id) AS reps,
                      COALESCE(SUM(r.verdict = 'good'), 0) AS good
               FROM sets s LEFT JOIN reps r ON r.set_id = s.id
               WHERE s.t_end IS NULL AND s.id != ? AND s.t_start >= ? AND s.t_start < ?
                 AND NOT EXISTS (SELECT 1 FROM kept_sets k WHERE k.set_id = s.id)
               GROUP BY s.id ORDER BY s.t_start DESC, s.id DESC LIMIT ?""",
            (under_way if under_way is not None else -1, since if since is not None else -1e18,
             before if before is not None else 1e18, limit))
        return [dict(r, cut=True) for r in rows]


def unpacked_lines(packed: bytes, set_id: int = 0) -> Iterator[str]:
    """The lines of a kept set's packed poses (:meth:`KeptSets.packed`), one at a time: at most
    UNPACK_BYTES of text is unpacked ahead, so a capped set (some 8 MB of text) is never whole in
    memory. StoreError when the data do not read.

        >>> list(unpacked_lines(zlib.compress(b'{"t":0.0}\\n{"t":3.0}')))
        ['{"t":0.0}', '{"t":3.0}']
    """
    unpack = zlib.decompressobj()
    rest, view, start = b"", memoryview(packed), 0
    try:
        while True:
            if unpack.unconsumed_tail:
                text = unpack.decompress(unpack.unconsumed_tail, UNPACK_BYTES)
            elif start < len(view):
                text = unpack.decompress(view[start:start + UNPACK_BYTES], UNPACK_BYTES)
                start += UNPACK_BYTES
            else:
                text = unpack.flush()
                if not unpack.eof:
                    raise zlib.error("the data end before the compressed stream does")
            if not text and not unpack.unconsumed_tail and start >= len(view):
                break
            *whole, rest = (rest + text).split(b"\n")
            for line in whole:
                yield line.decode("utf-8")
        if rest:
            yield rest.decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise StoreError(f"kept set {set_id}: its poses do not read ({exc})") from None


def _checked(rep: int, verdict: str, right: bool, faults: Sequence[str]) -> list[str]:
    """The true faults, in the coach's order, when they agree with "the verdict was right"."""
    codes = _fault_codes(faults, f"rep {rep}")
    # A rep the coach did not judge has no verdict to be right about: its "right" means "truly
    # good", as if the coach had called it good (the page words it so).
    truly_good = (verdict in (Verdict.GOOD, Verdict.UNJUDGED)) == right
    if truly_good and faults:
        raise LabelProblem(f"rep {rep}: a rep that was truly good has no faults to tick")
    if not truly_good and not faults:
        raise LabelProblem(f"rep {rep}: a rep that was truly faulty needs the faults it had ticked")
    return codes


def _fault_codes(faults: Sequence[str], who: str) -> list[str]:
    """``faults`` in the coach's order; LabelProblem naming ``who`` for a code it does not know."""
    given = set(faults)
    unknown = given - FAULT_CODES
    if unknown:
        raise LabelProblem(f"{who}: unknown fault {sorted(unknown)[0]!r}")
    return [str(c) for c in FaultCode if c in given]


def _rep_times(text: str) -> dict[int, tuple[float, float]]:
    return {int(rep): (float(start), float(end)) for rep, start, end in json.loads(text)}


def _line_time(line: str) -> float:
    try:
        return float(json.loads(line)["t"])
    except (ValueError, KeyError, TypeError):
        return 0.0
