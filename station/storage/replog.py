"""The rep log: the one object the station holds for its SQLite file, and its parts.

:class:`RepLog` opens one :class:`~station.storage.database.Database` (the connection, its lock,
damage recovery, snapshots and restores) and hands it to one part per kind of row, each with one
job, so a caller names what it works on: ``log.reps.add(...)``, ``log.accounts.get(name)``.

    >>> from station.coach.vocabulary import FaultCode, Side, Verdict
    >>> log = RepLog(":memory:")
    >>> set_id = log.reps.start_set(1700000000.0, facing=Side.LEFT)
    >>> _ = log.reps.add(set_id, 1700000004.2, 1, Verdict.FAULT, [FaultCode.SQUAT], {"duration_s": 2.1})
    >>> log.reps.newest_first()[0]["faults"], log.history.fault_counts()
    (['squat'], {'squat': 1})
    >>> log.saved_settings.add({"min_rep_s": 2.0}), log.accounts.count(), log.db.integrity()
    (1, 0, 'ok')
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from station.storage import StoreError
from station.storage.accounts import Accounts
from station.storage.database import DB_NAME, Database, clean_leftovers, hold_folder
from station.storage.error_log import ErrorTable
from station.storage.history import History
from station.storage.reps import Reps
from station.storage.saved_settings import SavedSettings


class RepLog:
    """The rep log at ``path`` (``":memory:"`` for one that lives as long as the object).

    ``db``: the file itself (:meth:`~Database.check`, :meth:`~Database.replace`, its ``epoch`` and
    ``damage``); ``reps``: sets and reps; ``history``: totals, trends, CSV; ``saved_settings``;
    ``accounts``: staff accounts and sessions; ``errors``: the error table."""

    def __init__(self, path: Path | str) -> None:
        self.db = Database(path)
        self.reps = Reps(self.db)
        self.history = History(self.db, self.reps)
        self.saved_settings = SavedSettings(self.db)
        self.accounts = Accounts(self.db)
        self.errors = ErrorTable(self.db)
        self._folder_lock: int | None = None  # see open()

    @classmethod
    def open(cls, data_dir: Path) -> RepLog:
        """The rep log of a data directory (created if new), after removing what a killed backup
        or restore left there (:func:`~station.storage.database.clean_leftovers`) unless another
        process holds the folder (:func:`~station.storage.database.hold_folder`)."""
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{data_dir}: cannot create the data directory ({exc.strerror})") from None
        held = hold_folder(data_dir)  # None: another process runs on this folder: leave its files
        if held is not None:
            clean_leftovers(data_dir)
        try:
            log = cls(data_dir / DB_NAME)
        except BaseException:
            if held is not None:
                os.close(held)
            raise
        log._folder_lock = held
        return log

    @property
    def path(self) -> Path | str:
        """The log's file, for the readers with connections of their own (outbox, kept sets)."""
        return self.db.path

    def close(self) -> None:
        self.db.close()
        if self._folder_lock is not None:
            with contextlib.suppress(OSError):
                os.close(self._folder_lock)
            self._folder_lock = None
