"""The error table: the station's last errors on disk, for the health page after a restart.

:class:`station.runtime.health.ErrorLog` keeps the recent ones in memory and hands each here;
this table keeps the last ``KEEP_ERRORS`` (a camera that fails every second must not fill the card).

    >>> from station.storage.database import Database
    >>> errors = ErrorTable(Database(":memory:"))
    >>> errors.add(1.0, "camera", "no frame"); errors.add(2.0, "pose", "no model")
    >>> [e["source"] for e in errors.newest()]
    ['pose', 'camera']
"""

from __future__ import annotations

from typing import Any

from station.storage.database import Database

KEEP_ERRORS = 500
MESSAGE_CHARS = 500  # a traceback's first lines


class ErrorTable:
    """The ``errors`` table of one rep log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, t: float, source: str, message: str) -> None:
        """Keep an error (its message cut to MESSAGE_CHARS), and forget all but the newest KEEP_ERRORS."""
        self._db.write("INSERT INTO errors (t, source, message) VALUES (?, ?, ?)",
                       (t, source, message[:MESSAGE_CHARS]))
        self._db.write("DELETE FROM errors WHERE id <= (SELECT MAX(id) FROM errors) - ?", (KEEP_ERRORS,))

    def newest(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest ``limit`` errors, newest first: time, source and message."""
        rows = self._db.read("SELECT t, source, message FROM errors ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]
