"""The rep log's SQLite file: its one connection and lock, damage recovery, snapshots and restores.

Everything here is about the file, not about what its rows mean (that is each part's job:
:mod:`station.storage.reps`, :mod:`station.storage.accounts`, ...). The parts share one
:class:`Database`, so the loop's writes and the web threads' reads wait on one lock, and a restore
swaps the file under that lock for all of them at once.

WAL mode with ``synchronous=FULL``: a write is committed to disk before :meth:`Database.write`
returns, so a rep the member saw survives a power cut. A file SQLite calls damaged is kept aside
and a fresh log started, with what still reads of its accounts and settings.

    >>> db = Database(":memory:")
    >>> db.write("INSERT INTO errors (t, source, message) VALUES (1, 'camera', 'no frame')").lastrowid
    1
    >>> [tuple(r) for r in db.read("SELECT source, message FROM errors")], db.integrity()
    ([('camera', 'no frame')], 'ok')
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from station.storage import StoreError, StoreReplaced
from station.storage.schema import REP_ID_FLOOR, TOP_REP_ID, migrate

log = logging.getLogger("station")

DB_NAME = "station.db"
# A restore keeps the log it replaced under this name (the newest one only), so it can be undone.
BEFORE_RESTORE = ".before-restore"
# Tables whose rows are copied out of a damaged log into the fresh one, as far as they read.
SALVAGED = ("accounts", "settings")


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLite says the file itself is bad (SQLITE_CORRUPT, SQLITE_NOTADB), not that it cannot be
    reached (permissions, a lock): only a bad file is moved aside."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (11, 26)


def _quick_check(db: sqlite3.Connection) -> str | None:
    """None when ``PRAGMA quick_check`` finds nothing, else its first finding."""
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    first = str(rows[0][0]) if rows else "no answer"
    return None if first == "ok" else first


def _salvage(damaged: Path, db: sqlite3.Connection) -> str:
    """Copy each table in SALVAGED that still reads whole from ``damaged`` into ``db``."""
    kept = []
    try:
        old = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return "nothing"
    try:
        for table in SALVAGED:
            try:
                cur = old.execute(f"SELECT * FROM {table}")
                rows = cur.fetchall()
                names = [d[0] for d in cur.description]
                wanted = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
                cols = [n for n in names if n in wanted]
                picks = [[row[names.index(c)] for c in cols] for row in rows]
                quoted = ", ".join(f'"{c}"' for c in cols)
                db.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(cols))})",
                               picks)
                kept.append(f"{len(rows)} {table}")
            except sqlite3.DatabaseError:
                continue  # this table is where the damage is
    finally:
        old.close()
    return ", ".join(kept) or "nothing"


class Database:
    """One SQLite database, shared by the station's threads behind a lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.damage: str | None = None  # what the last check found and did, for staff
        self.epoch = 0  # bumped by each restore (replace): ids from before mean nothing after
        self._db = self._open_checked()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            migrate(db, self.path)
        except BaseException:
            db.close()
            raise
        return db

    def _open_checked(self) -> sqlite3.Connection:
        """The log, checked (``PRAGMA quick_check``); a damaged one is kept aside and a fresh one
        started with what could be read of its accounts and settings."""
        try:
            db = self._connect()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise StoreError(f"{self.path}: cannot use the rep log ({exc})") from None
            return self._start_fresh(str(exc))
        problem = _quick_check(db)
        if problem is None:
            return db
        db.close()
        return self._start_fresh(problem)

    def _start_fresh(self, problem: str) -> sqlite3.Connection:
        if str(self.path) == ":memory:":
            raise StoreError(f"the rep log in memory is damaged ({problem})")
        path = Path(self.path)
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{path}{suffix}", f"{aside}{suffix}")
        try:
            db = self._connect()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot start a fresh rep log ({exc})") from None
        kept = _salvage(aside, db)
        self.damage = (f"the rep log was damaged ({problem[:120]}); it is kept as {aside.name} and a "
                       f"fresh one was started at {time.strftime('%Y-%m-%d %H:%M')} (copied: {kept})")
        log.error("%s", self.damage)
        return db

    def check(self) -> str | None:
        """Check the log now (daily): None when it is sound, else what was found and done.

        The check reads on a connection of its own, so the loop's writes never wait for it; only
        a damaged log takes the lock, to swap in a fresh one."""
        try:
            reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            try:
                problem = _quick_check(reader)
            finally:
                reader.close()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                return None
            problem = str(exc)
        if problem is None:
            return None
        with self._lock:
            self._db.close()
            self._db = self._start_fresh(problem)
        return self.damage

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def write_lock(self) -> threading.Lock:
        """The lock the log's own writes take: another connection that writes a lot at once (kept
        sets) takes it too, so the loop's writes wait only for that write to end (SQLite's own
        busy wait sleeps in steps of up to 100 ms). A restore's swap takes it as well."""
        return self._lock

    # ---------------------------------------------------------------- the parts' reads and writes
    def write(self, sql: str, args: Sequence[Any] = (), *, epoch: int | None = None) -> sqlite3.Cursor:
        """One statement, committed (on disk) when this returns; its cursor (``lastrowid``,
        ``rowcount``). With ``epoch`` (:attr:`epoch` when the caller's set began), StoreReplaced
        if a restore came since."""
        with self._lock:
            if epoch is not None and epoch != self.epoch:  # checked under the lock a swap takes
                raise StoreReplaced("the rep log was restored from a backup since this set began")
            try:
                return self._db.execute(sql, args)  # autocommit: durable when this returns
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: write failed ({exc})") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock, in one write transaction: committed when the block
        ends, rolled back (and StoreError) when SQLite refuses a statement in it. For writes of many
        rows at once, which one commit each would make slow (a sync per row)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: write failed ({exc})") from None

    def read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:  # a damaged page: the pages say so, never a 500
                raise StoreError(f"{self.path}: read failed ({exc})") from None

    def ping(self) -> bool:
        """The database answers a query (for the health page and the ``database ok`` metric)."""
        try:
            self.read("SELECT COUNT(*) FROM sqlite_master")
        except (StoreError, sqlite3.Error):  # read() says a damaged file as StoreError
            return False
        return True

    def integrity(self) -> str:
        """``ok``, or what SQLite's integrity check found."""
        return str(self.read("PRAGMA integrity_check")[0][0])

    # ---------------------------------------------------------------- backup and restore
    def snapshot_to(self, target: Path) -> int:
        """A consistent copy of the log in the new file ``target``; its schema version.

        SQLite's online backup API, in one step on a connection of its own: one read
        transaction, so the copy is one moment's log, and in WAL mode the loop keeps writing
        (and never waits for this lock) meanwhile."""
        try:
            source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            copy = sqlite3.connect(str(target))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot copy the rep log ({exc})") from None
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            return int(copy.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot copy the rep log ({exc})") from None
        finally:
            copy.close()
            source.close()

    def replace(self, new_file: Path) -> Path:
        """Make ``new_file`` (checked, synced, in the same folder) the log, atomically; the log it
        replaces is kept as ``station.db.before-restore`` (returned). Writers wait meanwhile.

        The id floor (every rep id the replaced log held) is written into ``new_file`` and synced
        *before* the rename that swaps it in, so a process killed at any moment leaves either the
        old log or the new one with its floor: new reps never reuse an id already published
        (tests/storage/test_restore_kill.py kills a restore at each of RESTORE_STEPS)."""
        path = Path(str(self.path))
        aside = path.with_name(path.name + BEFORE_RESTORE)
        with self._lock:
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy:  # a reader held the log: nothing has changed yet
                raise StoreError("the rep log is busy (a long read); try the restore again")
            top = self._db.execute(f"SELECT {TOP_REP_ID}").fetchone()[0]
            try:
                _raise_floor(new_file, top)
            except (OSError, sqlite3.DatabaseError) as exc:
                raise StoreError(f"{path}: the restore failed, nothing changed ({exc})") from None
            restore_step("floor written")
            self._db.close()
            swapped = False
            try:
                _set_aside(path, aside)
                restore_step("old log set aside")
                os.replace(new_file, path)
                swapped = True
                restore_step("swapped")
                _sync_folder(path.parent)
                restore_step("folder synced")
                self._db = self._connect()
            except (OSError, sqlite3.DatabaseError) as exc:
                if swapped:
                    os.replace(aside, path)  # the old log back as it was
                self._db = self._connect()
                raise StoreError(f"{path}: the restore failed, nothing changed ({exc})") from None
            self.epoch += 1
            self.damage = None
        return aside


# The named moments of a restore's swap, in order (a test kills the process at each).
RESTORE_STEPS = ("floor written", "old log set aside", "swapped", "folder synced")


def restore_step(step: str) -> None:
    """Called at each of RESTORE_STEPS; does nothing. A test replaces it to kill the process
    there (tests/storage/test_restore_kill.py): the one seam for that, not a setting."""


def _raise_floor(new_file: Path, top: int) -> None:
    """New reps in ``new_file`` continue above ``top`` (every id the replaced log held), committed
    and synced in the file itself before it is swapped in."""
    db = sqlite3.connect(str(new_file), isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=FULL")
        migrate(db, new_file)  # a file of an older schema gets the counters table first
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO counters (name, value) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)", (REP_ID_FLOOR, top))
        db.execute("COMMIT")
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":  # its -wal would not travel with the rename: fold it into the file
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
    finally:
        db.close()
    with open(new_file, "rb+") as f:
        os.fsync(f.fileno())


def _set_aside(path: Path, aside: Path) -> None:
    """Keep the log at ``aside`` while it stays at ``path`` (a second name for the same file).
    Its -wal and -shm go with it: a reader still open on the old log then writes there, never
    into the -wal of the log that takes its place."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{aside}{suffix}")
    try:
        os.link(path, aside)
    except OSError:  # a file system without hard links
        shutil.copy2(path, aside)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{suffix}", f"{aside}{suffix}")


def _sync_folder(folder: Path) -> None:
    """A rename is on disk once its folder is synced (POSIX; the data survives a power cut)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LogReader:
    """A connection of its own to the rep log at ``path`` for a thread other than the loop's
    (the MQTT outbox, the kept sets): it never waits on the loop's lock, nor the loop on it, and
    it follows a restore's swap to the new file. ``what`` names it in errors; ``pragmas`` are
    run on each connection (how much a write must survive)."""

    def __init__(self, path: Path | str, what: str, pragmas: Sequence[str]) -> None:
        self.path, self._what, self._pragmas = path, what, tuple(pragmas)
        self._db, self._file = self._connect()
        self._lock = threading.Lock()

    def _connect(self) -> tuple[sqlite3.Connection, int | None]:
        try:
            db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10)
            db.row_factory = sqlite3.Row
            for pragma in self._pragmas:
                db.execute(pragma)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the {self._what} ({exc})") from None
        return db, _file_id(self.path)

    def _follow(self) -> None:
        """A restore put another log file in place: reconnect to it (call under ``_lock``)."""
        if _file_id(self.path) != self._file:
            self._db.close()
            self._db, self._file = self._connect()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            self._follow()
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self._what}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _file_id(path: Path | str) -> int | None:
    """The log file's inode (None: not there): a restore's swap changes it."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None
