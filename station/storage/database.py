"""The rep log's SQLite file: its one connection and lock, damage recovery, snapshots and restores.

Everything here is about the file, not about what its rows mean (that is each part's job:
:mod:`station.storage.reps`, :mod:`station.storage.accounts`, ...). The parts share one
:class:`Database`, so the loop's writes and the web threads' reads wait on one lock, and a restore
swaps the file under that lock for all of them at once.

WAL mode with ``synchronous=FULL``: a write is committed to disk before :meth:`Database.write`
returns, so a rep the member saw survives a power cut. A file SQLite calls damaged is kept aside
and a fresh log started, with what still reads of its accounts and settings.

The file under the open log is watched: before each write (and at the storage watch's look,
:mod:`station.runtime.storage_watch`) the file at the log's path must still be the one opened
(device and inode); a log deleted (the whole data folder, even) or replaced while running is put
back at its path from the open connection, which still reads it, instead of taking writes nobody
will see again. The lock says since when it is held, so health can say "storage busy" without
waiting for it, and a page's read gives up after READ_WAIT_S.

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
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from station.storage import StoreError, StoreReplaced
from station.storage.schema import REP_ID_FLOOR, TOP_REP_ID, migrate

log = logging.getLogger("station")

DB_NAME = "station.db"
# A restore keeps the log it replaced under this name (the newest one only), so it can be undone.
BEFORE_RESTORE = ".before-restore"
# Tables whose rows are copied out of a damaged log into the fresh one, as far as they read.
SALVAGED = ("accounts", "settings")
# A page's read waits at most this long for the log's lock. The longest hold in normal work is a
# long read itself (the history CSV of a big log, seconds on a Pi) or a restore's swap (under a
# second); a lock held longer is a write stuck on a stalled card (the issue saw 40 s freezes),
# and a page thread waiting through it is one thread fewer for everyone.
READ_WAIT_S = 10.0
# The log's own file and SQLite's two beside it (WAL mode).
SUFFIXES = ("", "-wal", "-shm")
# Left in the data folder by a backup or restore that was killed (SIGKILL, power cut) part way:
# the backup's snapshot folders, the restore's unpacked upload and checked copy, a log being put
# back, a document's temporary file (storage/documents.py). Nothing else ever writes these names,
# so start removes them.
LEFTOVER_DIRS = (".backup-*",)
LEFTOVER_FILES = (f"{DB_NAME}.restoring", f"{DB_NAME}.recovering", f"{DB_NAME}.uploaded", ".*.tmp")


def clean_leftovers(data_dir: Path) -> list[str]:
    """Remove what a killed backup or restore left in ``data_dir`` (call at start, before the log
    is opened, holding :func:`hold_folder`: no backup or restore can be under way); the names
    removed.

        >>> import tempfile; folder = Path(tempfile.mkdtemp())
        >>> (folder / ".backup-x1y2").mkdir(); _ = (folder / ".backup-x1y2" / DB_NAME).write_bytes(b"1")
        >>> _ = (folder / "station.db.restoring").write_bytes(b"2")
        >>> _ = (folder / "keep.json").write_text("{}")
        >>> clean_leftovers(folder), sorted(p.name for p in folder.iterdir())
        (['.backup-x1y2', 'station.db.restoring'], ['keep.json'])
    """
    removed = []
    for pattern in LEFTOVER_DIRS:
        for folder in sorted(data_dir.glob(pattern)):
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
    for pattern in LEFTOVER_FILES:
        for file in sorted(data_dir.glob(pattern)):
            if file.is_file() or file.is_symlink():
                with contextlib.suppress(OSError):
                    file.unlink()
                    removed.append(file.name)
    if removed:
        log.warning("removed what a killed backup or restore left behind: %s", ", ".join(removed))
    return removed


FOLDER_LOCK = ".station.lock"


def hold_folder(data_dir: Path) -> int | None:
    """An open file holding an exclusive ``flock`` on ``data_dir``'s lock file for as long as it is
    open (close it with :func:`os.close`), or None when another process holds it: a second
    process on the same folder (``station selftest`` beside the service) must not remove what the
    running station is writing. flock, not fcntl: closing it never drops SQLite's own locks."""
    import fcntl

    try:
        fd = os.open(data_dir / FOLDER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class TimedLock:
    """A lock that says since when it is held, so the health page can say "storage busy since
    ..." without waiting for it (a write stuck on a dying SD card holds it for as long).

        >>> lock = TimedLock(); lock.held_for() is None
        True
        >>> with lock: lock.held_for() is not None
        True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: tuple[float, float] | None = None  # (monotonic, wall) when it was taken

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._since = (time.monotonic(), time.time())
        return got

    def release(self) -> None:
        self._since = None
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def held_for(self) -> tuple[float, float] | None:
        """(seconds held, wall-clock time it was taken), or None when free. Read without the lock:
        one attribute read is atomic in CPython."""
        since = self._since
        return None if since is None else (time.monotonic() - since[0], since[1])


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
        self._lock = TimedLock()
        self.damage: str | None = None  # what the last check found and did, for staff
        self.epoch = 0  # bumped by each restore (replace): ids from before mean nothing after
        # What happened to the log's file while it was open (deleted, replaced), for staff.
        self.file_problem: str | None = None
        self._files: dict[str, tuple[int, int] | None] = {}  # the open log's files, see _note_files
        self._db = self._open_checked()
        self._note_files()

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
            self._note_files()  # the fresh file is the log now, not a replacement of it
        return self.damage

    def close(self) -> None:
        """Close the log for good, its readers' connections first (:class:`LogReader`: the MQTT
        outbox, the kept sets' pages): SQLite checkpoints the log and removes its -wal and -shm
        only when the last connection on it closes, which is then this one."""
        for reader in list(_READERS):
            if str(reader.path) == str(self.path):
                reader.close()
        with self._lock:
            self._db.close()

    @property
    def write_lock(self) -> TimedLock:
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
            self._keep_file()
            try:
                return self._db.execute(sql, args)  # autocommit: durable when this returns
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: write failed ({exc})") from None

    @contextlib.contextmanager
    def transaction(self, *, epoch: int | None = None) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock, in one write transaction: committed when the block
        ends, rolled back (and StoreError) when SQLite refuses a statement in it. For writes of many
        rows at once, which one commit each would make slow (a sync per row). ``epoch``: as for
        :meth:`write`."""
        with self._lock:
            if epoch is not None and epoch != self.epoch:
                raise StoreReplaced("the rep log was restored from a backup since these rows were made")
            self._keep_file()
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
        """Rows of one query; StoreError when the lock is not free within READ_WAIT_S (a write
        stuck on a stalled card: the page answers 503 and its thread is free again)."""
        if not self._lock.acquire(timeout=READ_WAIT_S):
            raise StoreError(f"{self.path}: storage busy (no answer for {READ_WAIT_S:.0f} s)")
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:  # a damaged page: the pages say so, never a 500
            raise StoreError(f"{self.path}: read failed ({exc})") from None
        finally:
            self._lock.release()

    def ping(self, wait_s: float = 1.0) -> bool | None:
        """The database answers a query (the storage watch, for health and the ``database ok``
        metric); None when its lock was not free within ``wait_s`` (a write is stuck: busy)."""
        if not self._lock.acquire(timeout=wait_s):
            return None
        try:
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
        except sqlite3.Error:
            return False
        finally:
            self._lock.release()
        return True

    def busy(self) -> tuple[float, float] | None:
        """(seconds, wall-clock start) the log's lock has been held, None when free; never waits."""
        return self._lock.held_for()

    # ---------------------------------------------------------------- the file under the log
    def _note_files(self) -> None:
        """Remember which files (device, inode) the open log is: the log, its -wal and -shm."""
        if str(self.path) == ":memory:":
            return
        self._files = {suffix: _identity(f"{self.path}{suffix}") for suffix in SUFFIXES}

    def _file_moved(self) -> str | None:
        """What happened to the log's file since it was opened: None (still there), ``deleted``
        (no file at its path: the file or the whole data folder removed) or ``replaced`` (another
        file at its path, e.g. moved over it). One stat: microseconds."""
        if not self._files:
            return None
        now = _identity(str(self.path))
        if now is None:
            return "deleted"
        return None if now == self._files.get("") else "replaced"

    def check_file(self, wait_s: float = 1.0) -> str | None:
        """Look at the log's file now (the storage watch, every few seconds) and put it back if
        it went (see :meth:`_keep_file`); :attr:`file_problem`. Waits at most ``wait_s`` for the
        lock (a busy log is looked at next time)."""
        if self._lock.acquire(timeout=wait_s):
            try:
                with contextlib.suppress(StoreError):
                    self._keep_file()
            finally:
                self._lock.release()
        return self.file_problem

    def _keep_file(self) -> None:
        """Before each write (under the lock): the open log must still be the file at its path,
        or the write would go to a file nobody will ever open again. When it went, the open log
        (every row, read through the connection that still has it open) is put back at its path;
        a file someone put there instead is moved aside, never used (it has passed none of a
        restore's checks). StoreError when that cannot be done: the caller keeps the rep."""
        what = self._file_moved()
        if what is None:
            return
        when = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            aside = self._put_back()
        except (OSError, sqlite3.Error) as exc:
            self.file_problem = (f"the rep log's file was {what} while the station ran (noticed {when}); "
                                 f"it could not be put back ({exc}): reps wait in memory")
            log.error("%s", self.file_problem)
            raise StoreError(self.file_problem) from None
        self.file_problem = (f"the rep log's file was {what} while the station ran; it was put back "
                             f"from the open log at {when}, nothing lost"
                             + (f" (the file found in its place is kept as {aside})" if aside else ""))
        log.error("%s", self.file_problem)

    def _put_back(self) -> str | None:
        """Write the open log to a new file at its path (call under the lock); the name the file
        found in its place was moved to, if one was.

        Order matters because SQLite removes a log's -wal *by name* when the last connection on it
        closes: foreign files go aside first, then every connection on the old file closes (this
        one and the readers', :class:`LogReader`), then the copy takes the path."""
        path = Path(str(self.path))
        path.parent.mkdir(parents=True, exist_ok=True)  # the whole data folder may have gone
        copy_path = path.with_name(path.name + ".recovering")
        copy_path.unlink(missing_ok=True)
        copy = sqlite3.connect(str(copy_path))
        try:
            self._db.backup(copy)  # reads through the open connection: the deleted file and its WAL
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        _fsync(copy_path)
        aside = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in SUFFIXES:
            name = f"{path}{suffix}"
            found = _identity(name)
            if found is not None and found != self._files.get(suffix):
                aside = f"{path.name}.foreign-{stamp}"
                os.replace(name, path.with_name(aside + suffix))
        for reader in list(_READERS):
            if str(reader.path) == str(self.path):
                reader.let_go()
        self._db.close()
        for suffix in SUFFIXES[1:]:  # ours, under their old names: the copy holds their rows
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")
        os.replace(copy_path, path)
        _sync_folder(path.parent)
        self._db = self._connect()
        self._note_files()
        return aside

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
                self._note_files()
            except (OSError, sqlite3.DatabaseError) as exc:
                if swapped:
                    os.replace(aside, path)  # the old log back as it was
                self._db = self._connect()
                self._note_files()
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


def _identity(name: str) -> tuple[int, int] | None:
    """(device, inode) of the file ``name``, None when there is none."""
    try:
        st = os.stat(name)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _fsync(file: Path) -> None:
    fd = os.open(file, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        self._closed = False
        _READERS.add(self)

    def _connect(self) -> tuple[sqlite3.Connection, int | None]:
        # mode=rw: a log that is not there is an error, never a new empty file at its path.
        target = f"file:{quote(str(self.path))}?mode=rw" if str(self.path) != ":memory:" else ":memory:"
        try:
            db = sqlite3.connect(target, uri=True, check_same_thread=False, isolation_level=None,
                                 timeout=10)
            db.row_factory = sqlite3.Row
            for pragma in self._pragmas:
                db.execute(pragma)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the {self._what} ({exc})") from None
        return db, _file_id(self.path)

    def _follow(self) -> None:
        """A restore put another log file in place (or the log was put back after it was
        deleted): reconnect to it (call under ``_lock``)."""
        if self._closed:
            raise StoreError(f"{self._what}: closed (the station is stopping)")
        if _file_id(self.path) != self._file:
            self._db.close()
            self._file = -1  # closed: connect on the next call if this one fails
            self._db, self._file = self._connect()

    def let_go(self) -> None:
        """Close the connection now (the log's file is about to be put back, see
        Database._put_back); the next call connects to the file then at the path."""
        with self._lock:
            self._db.close()
            self._file = -1

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            self._follow()
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self._what}: {exc}") from None

    def close(self) -> None:
        """Close for good (idempotent): later calls raise StoreError, never reopen the log."""
        with self._lock:
            self._closed = True
            self._db.close()


# Every open LogReader, so a log put back after its file went can close their connections first.
_READERS: weakref.WeakSet[LogReader] = weakref.WeakSet()


def _file_id(path: Path | str) -> int | None:
    """The log file's inode (None: not there): a restore's swap changes it."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None
