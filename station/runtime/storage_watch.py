"""The storage watch: the rep log's disk looked at on a thread of its own, never on a web thread.

A dying SD card freezes every system call on its file system for tens of seconds, and a write
stuck there holds the rep log's lock as long. Health is asked by anyone (the wall's kiosk, a
monitor, an attacker's flood): if each request looked at the disk or took the log's lock, the
requests would take every server thread and the member page and sign-in would time out. So this
thread looks every :data:`LOOK_EVERY_S` (free space, the log's size, a query under the lock with
a short wait, whether the log's file is still the one at its path) and publishes what it saw;
:meth:`StorageWatch.figures` only reads that, and says "storage busy since ..." when the lock
has been held, or the last look has been stuck, longer than :data:`BUSY_AFTER_S`.

    >>> import tempfile, pathlib
    >>> from station.storage.replog import RepLog
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> watch = StorageWatch(RepLog.open(folder), folder)
    >>> _ = watch.look(); watch.figures()["database_ok"], watch.figures()["storage_busy"]
    (True, None)
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.storage.replog import RepLog

# Every 2 s: the health page refreshes every few seconds, so what it shows is at most one look old;
# a look is three system calls and one query, microseconds on a sound card.
LOOK_EVERY_S = 2.0
# A healthy write with synchronous=FULL takes 5-50 ms on an SD card, a restore's swap or a kept
# set's transaction well under a second; a lock held for 5 s (or a look stuck that long) is a
# stalled card or a frozen file system, and health says so.
BUSY_AFTER_S = 5.0
# The look's query waits this long for the lock, so one stuck write costs the watch one second.
LOCK_WAIT_S = 1.0


@dataclass(frozen=True)
class Look:
    """What one look saw (replaced whole, so readers never see half of one)."""

    at: float  # wall clock, for staff
    disk_free_mb: int | None
    db_size_mb: float | None
    database_ok: bool | None  # None: the lock was not free (busy)


class StorageWatch:
    """Looks at ``store``'s disk in ``data_dir`` every LOOK_EVERY_S on its own daemon thread."""

    def __init__(self, store: RepLog, data_dir: Path, every_s: float = LOOK_EVERY_S) -> None:
        self.store = store
        self.data_dir = Path(data_dir)
        self.every_s = every_s
        self.busy_after_s = BUSY_AFTER_S
        self._last: Look | None = None
        self._looking_since: tuple[float, float] | None = None  # (monotonic, wall) of a look under way
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="storage-watch", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop looking; a look stuck on a frozen disk is left to end on its own (daemon)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            self.look()
            if self._stop.wait(self.every_s):
                return

    def look(self) -> Look:
        """Look now (on the calling thread: the watch's own, or a test's); what was seen."""
        self._looking_since = (time.monotonic(), time.time())
        try:
            db = self.store.db
            db.check_file(LOCK_WAIT_S)  # puts a deleted log back (see Database); figures() says so
            try:
                disk: int | None = shutil.disk_usage(self.data_dir).free // 2**20
            except OSError:
                disk = None
            try:
                size: float | None = round(Path(str(self.store.path)).stat().st_size / 2**20, 2)
            except OSError:
                size = None
            seen = Look(time.time(), disk, size, db.ping(LOCK_WAIT_S))
        finally:
            self._looking_since = None
        self._last = seen
        return seen

    def busy(self) -> str | None:
        """"storage busy since HH:MM:SS (N s)" when the log's lock has been held, or a look has
        been stuck, for BUSY_AFTER_S or more; None otherwise. Never waits."""
        held = self.store.db.busy()
        looking = self._looking_since
        stuck = None if looking is None else (time.monotonic() - looking[0], looking[1])
        worst = max((x for x in (held, stuck) if x is not None), default=None)
        if worst is None or worst[0] < self.busy_after_s:
            return None
        return f"storage busy since {time.strftime('%H:%M:%S', time.localtime(worst[1]))} ({worst[0]:.0f} s)"

    def figures(self) -> dict[str, Any]:
        """What health shows of the storage, from the last look; never touches the disk or the
        log's lock (before the first look: nothing known yet, and nothing said to be wrong)."""
        last = self._last
        busy = self.busy()
        return {
            "disk_free_mb": last.disk_free_mb if last else None,
            "db_size_mb": last.db_size_mb if last else None,
            # unknown (busy, or not looked yet) is not "failing": busy says so on its own line
            "database_ok": last.database_ok is not False if last else True,
            "storage_busy": busy,
            "storage_looked_at": round(last.at, 1) if last else None,
            "log_file_problem": self.store.db.file_problem,
        }
