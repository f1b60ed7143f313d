"""Saved settings: every version staff saved, numbered, with who saved it and when.

The newest version is what a station starts with (:meth:`station.config.settings.Settings.load`);
the older ones stay, so a change can be traced. Apart from the settings themselves, which know
their fields and limits: here a version is only JSON text.

    >>> from station.storage.database import Database
    >>> saved = SavedSettings(Database(":memory:"))
    >>> saved.newest() is None, saved.add({"min_rep_s": 2.0}, by="ann"), saved.newest()
    (True, 1, (1, {'min_rep_s': 2.0}))
"""

from __future__ import annotations

import json
import time
from typing import Any

from station.storage.database import Database


class SavedSettings:
    """The ``settings`` table of one rep log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, values: dict[str, Any], by: str | None = None) -> int:
        """Store a new version of the settings; its version number."""
        return int(self._db.write('INSERT INTO settings (t, by, "values") VALUES (?, ?, ?)',
                                  (time.time(), by, json.dumps(values))).lastrowid or 0)

    def newest(self) -> tuple[int, Any] | None:
        """The newest saved version and its values: a dict, or whatever a damaged row holds
        (None when its text is not JSON); :meth:`Settings.load` sorts the good fields out."""
        rows = self._db.read('SELECT version, "values" FROM settings ORDER BY version DESC LIMIT 1')
        if not rows:
            return None
        try:
            return rows[0]["version"], json.loads(rows[0]["values"])
        except (ValueError, TypeError, RecursionError):
            return rows[0]["version"], None
