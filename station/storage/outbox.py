"""The MQTT outbox: which reps a receiver has acknowledged, and the ones after.

A thread of its own (:mod:`station.fleet.mqtt`) publishes reps; this is its view of the rep log,
on a connection of its own (:class:`~station.storage.database.LogReader`), apart from the loop's.

    >>> import tempfile, pathlib
    >>> from station.coach.vocabulary import Verdict
    >>> from station.storage.replog import RepLog
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> log = RepLog.open(folder); s = log.reps.start_set(1.0)
    >>> ids = [log.reps.add(s, 2.0 + i, i + 1, Verdict.GOOD, [], {}) for i in range(3)]
    >>> box = Outbox(log.path, "mqtt"); box.mark(ids[0])
    >>> [r["id"] for r in box.after(box.last())] == ids[1:], box.waiting(box.last())
    (True, 2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from station.storage.database import LogReader
from station.storage.reps import rep_dict


class Outbox(LogReader):
    """A reader of the rep log for one receiver (``name``): the reps after the last one it
    acknowledged, oldest first, and that mark itself.

    It has its own connection, so the publisher thread never waits on the loop's lock, nor the
    loop on it; the mark is written without a sync of its own (``synchronous=NORMAL``): after a
    power cut it may be a little behind, which sends a few reps twice, never loses one."""

    def __init__(self, path: Path | str, name: str) -> None:
        self.name = name
        super().__init__(path, "rep log", ["PRAGMA synchronous=NORMAL"])

    def last(self) -> int:
        """The id of the last rep the receiver acknowledged (0: none yet)."""
        rows = self._query("SELECT last_id FROM outbox WHERE name = ?", (self.name,))
        return int(rows[0][0]) if rows else 0

    def mark(self, rep_id: int) -> None:
        self._query("INSERT INTO outbox (name, last_id) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET last_id = excluded.last_id", (self.name, rep_id))

    def after(self, rep_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """Up to ``limit`` reps with a larger id, oldest first."""
        rows = self._query("SELECT * FROM reps WHERE id > ? ORDER BY id LIMIT ?", (rep_id, limit))
        return [rep_dict(r) for r in rows]

    def newest(self) -> int:
        """The id of the newest rep (0: none)."""
        return int(self._query("SELECT COALESCE(MAX(id), 0) FROM reps")[0][0])

    def waiting(self, rep_id: int) -> int:
        """How many reps have a larger id than ``rep_id``."""
        return int(self._query("SELECT COUNT(*) FROM reps WHERE id > ?", (rep_id,))[0][0])

    def day(self, since: float) -> tuple[int, int]:
        """Reps and good reps since ``since`` (a local midnight, for "reps today")."""
        row = self._query("SELECT COUNT(*), COALESCE(SUM(verdict = 'good'), 0) FROM reps WHERE t >= ?",
                          (since,))[0]
        return int(row[0]), int(row[1])
