"""The rep log: sets, reps, settings, staff accounts and errors in SQLite.

WAL mode with ``synchronous=FULL``: a rep is committed to disk before :meth:`RepLog.add_rep`
returns, so a rep the member saw survives a power cut. The schema grows through numbered
migrations (``PRAGMA user_version``).

    >>> log = RepLog(":memory:")
    >>> set_id = log.start_set(1700000000.0, facing=Side.LEFT)
    >>> _ = log.add_rep(set_id, 1700000004.2, 1, Verdict.FAULT, [FaultCode.SQUAT], {"duration_s": 2.1})
    >>> log.reps()[0]["faults"]
    ['squat']
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from station.coach.faults import fault_words
from station.coach.vocabulary import FaultCode, Side, Verdict

log = logging.getLogger("station")

DB_NAME = "station.db"
KEEP_ERRORS = 500
# A restore keeps the log it replaced under this name (the newest one only), so it can be undone.
BEFORE_RESTORE = ".before-restore"


class StoreError(Exception):
    """The rep log cannot be opened or written; the message says why in one line."""


class StoreReplaced(StoreError):
    """The log was restored from a backup since the caller's set began: its set id means
    nothing in the restored log (the caller starts a new set)."""


# Each migration is a list of statements, run in one transaction with the version bump.
V1 = [
    "CREATE TABLE sets (id INTEGER PRIMARY KEY, t_start REAL NOT NULL, t_end REAL, facing TEXT)",
    """CREATE TABLE reps (
        id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id), t REAL NOT NULL,
        rep INTEGER NOT NULL, verdict TEXT NOT NULL CHECK (verdict IN ('good', 'fault')),
        faults TEXT NOT NULL, metrics TEXT NOT NULL)""",
    "CREATE INDEX reps_t ON reps(t)",
    "CREATE INDEX sets_t ON sets(t_start)",
    'CREATE TABLE settings (version INTEGER PRIMARY KEY, t REAL NOT NULL, by TEXT, "values" TEXT NOT NULL)',
    "CREATE TABLE accounts (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created REAL NOT NULL)",
    """CREATE TABLE errors (id INTEGER PRIMARY KEY, t REAL NOT NULL, source TEXT NOT NULL,
        message TEXT NOT NULL)""",
]


# Each account's session generation: signing out or a new password bumps it, and every cookie
# that carries an older one is refused (a copied cookie dies with its owner's sign-out).
V2 = ["ALTER TABLE accounts ADD COLUMN generation INTEGER NOT NULL DEFAULT 0"]

# V3: where each outbox (the MQTT publisher) got to: the last rep id its receiver acknowledged.
V3 = ["CREATE TABLE outbox (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)"]

# V4: the history's trends read only these columns of each rep in a time range; an index that
# holds them all spares reading every rep's metrics (benchmarks/history_page.py, a year of 100k
# reps by month: the page in 80-220 ms with it, 470 ms without, on a busy 2-core x86 machine).
V4 = ["CREATE INDEX IF NOT EXISTS reps_t_trend ON reps(t, verdict, set_id, faults)"]

# V5: kept sets (staff's keep_sets setting): a set's poses, zlib-compressed pose-stream lines, with
# its reps' times in the stream; and staff's labels of those reps (station/storage/kept_sets.py).
V5 = [
    """CREATE TABLE kept_sets (
        set_id INTEGER PRIMARY KEY REFERENCES sets(id) ON DELETE CASCADE, t_start REAL NOT NULL,
        frames INTEGER NOT NULL, duration_s REAL NOT NULL, truncated INTEGER NOT NULL,
        rep_times TEXT NOT NULL, poses BLOB NOT NULL)""",
    "CREATE INDEX kept_sets_t ON kept_sets(t_start)",
    """CREATE TABLE rep_labels (
        set_id INTEGER NOT NULL REFERENCES kept_sets(set_id) ON DELETE CASCADE, rep INTEGER NOT NULL,
        verdict_right INTEGER NOT NULL CHECK (verdict_right IN (0, 1)), faults TEXT NOT NULL,
        by TEXT NOT NULL, t REAL NOT NULL, PRIMARY KEY (set_id, rep))""",
]

# V6: the lowest id a new rep may take. A restore brings back an older log whose ids restart
# below reps already published over MQTT; receivers de-duplicate by id, so a new rep must never
# reuse one (RepLog.replace raises the floor above every id the replaced log held).
V6 = ["CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"]
REP_ID_FLOOR = "rep_id_floor"
# The highest id a rep has had in this log: its reps', or the floor a restore left.
_TOP_REP_ID = ("MAX(COALESCE((SELECT MAX(id) FROM reps), 0), "
               f"COALESCE((SELECT value FROM counters WHERE name = '{REP_ID_FLOOR}'), 0))")

MIGRATIONS: list[list[str]] = [V1, V2, V3, V4, V5, V6]
# Tables whose rows are copied out of a damaged log into the fresh one, as far as they read.
SALVAGED = ("accounts", "settings")


def _migrate(db: sqlite3.Connection, path: Path | str) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{path}: written by a newer station (schema {version}); update the station")
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def migrate(db: sqlite3.Connection, path: Path | str) -> None:
    """Bring a log to this station's schema (a restored backup's, before it is swapped in);
    StoreError if a newer station wrote it."""
    _migrate(db, path)


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


class RepLog:
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
            _migrate(db, self.path)
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

    @classmethod
    def open(cls, data_dir: Path) -> RepLog:
        """The rep log of a data directory (created if new)."""
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{data_dir}: cannot create the data directory ({exc.strerror})") from None
        return cls(data_dir / DB_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def write_lock(self) -> threading.Lock:
        """The lock the log's own writes take: another connection that writes a lot at once (kept
        sets) takes it too, so the loop's writes wait only for that write to end (SQLite's own
        busy wait sleeps in steps of up to 100 ms). A restore's swap takes it as well."""
        return self._lock

    def _write(self, sql: str, args: Sequence[Any] = (), epoch: int | None = None) -> int:
        with self._lock:
            if epoch is not None and epoch != self.epoch:  # checked under the lock a swap takes
                raise StoreReplaced("the rep log was restored from a backup since this set began")
            try:
                cur = self._db.execute(sql, args)  # autocommit: durable when this returns
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: write failed ({exc})") from None
            return int(cur.lastrowid or 0)

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:  # a damaged page: the pages say so, never a 500
                raise StoreError(f"{self.path}: read failed ({exc})") from None

    # ---------------------------------------------------------------- sets and reps
    def start_set(self, t: float, facing: Side | None = None) -> int:
        return self._write("INSERT INTO sets (t_start, facing) VALUES (?, ?)", (t, facing))

    def end_set(self, set_id: int, t: float, *, epoch: int | None = None) -> None:
        self._write("UPDATE sets SET t_end = ? WHERE id = ?", (t, set_id), epoch)

    def add_rep(self, set_id: int, t: float, rep: int, verdict: Verdict, faults: Sequence[FaultCode],
                metrics: dict[str, float], *, epoch: int | None = None) -> int:
        """Store a rep; it is on disk when this returns. With ``epoch`` (:attr:`epoch` when the set
        began), StoreReplaced if a restore came since: the set is not in this log."""
        return self._write(
            f"INSERT INTO reps (id, set_id, t, rep, verdict, faults, metrics) VALUES (({_TOP_REP_ID}) + 1, "
            "?, ?, ?, ?, ?, ?)",
            (set_id, t, rep, verdict, json.dumps(list(faults)), json.dumps(metrics)), epoch)

    def reps(self, *, since: float | None = None, until: float | None = None,
             limit: int = 1000) -> list[dict]:
        """Newest first."""
        rows = self._read(
            "SELECT * FROM reps WHERE t >= ? AND t < ? ORDER BY t DESC, id DESC LIMIT ?",
            (since if since is not None else -1e18, until if until is not None else 1e18, limit))
        return [{"id": r["id"], "set_id": r["set_id"], "t": r["t"], "rep": r["rep"], "verdict": r["verdict"],
                 "faults": json.loads(r["faults"]), "metrics": json.loads(r["metrics"])} for r in rows]

    def sets(self, *, since: float | None = None, limit: int = 200) -> list[dict]:
        rows = self._read(
            """SELECT s.id, s.t_start, s.t_end, s.facing, COUNT(r.id) AS reps,
                      COALESCE(SUM(r.verdict = 'good'), 0) AS good
               FROM sets s LEFT JOIN reps r ON r.set_id = s.id WHERE s.t_start >= ?
               GROUP BY s.id ORDER BY s.t_start DESC LIMIT ?""",
            (since if since is not None else -1e18, limit))
        return [dict(r) for r in rows]

    def totals(self) -> dict[str, Any]:
        """Everything in the log so far: reps by verdict, faults by code, sets (for counters that
        carry on across restarts rather than start again at zero)."""
        verdicts = {str(v): 0 for v in Verdict}
        for r in self._read("SELECT verdict, COUNT(*) AS n FROM reps GROUP BY verdict"):
            verdicts[r["verdict"]] = r["n"]
        sets = int(self._read("SELECT COUNT(*) FROM sets")[0][0])
        return {"reps": verdicts, "faults": self.fault_counts(), "sets": sets}

    def ping(self) -> bool:
        """The database answers a query (for the health page and the ``database ok`` metric)."""
        try:
            self._read("SELECT COUNT(*) FROM sqlite_master")
        except (StoreError, sqlite3.Error):  # _read says a damaged file as StoreError
            return False
        return True

    def fault_counts(self, *, since: float | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self._read("SELECT faults FROM reps WHERE t >= ?", (since if since is not None else -1e18,)):
            for code in json.loads(r["faults"]):
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    def trend(self, spans: Sequence[tuple[float, float]]) -> list[dict[str, Any]]:
        """Per time span ``[start, end)``, in the order given: reps, good reps, sets and reps per
        fault code (a rep with two faults counts once for each).

        The spans are the history's local days, ISO weeks or months (:mod:`station.storage.periods`):
        their edges are computed once in local time, so SQL groups plain Unix times by range
        through the ``reps_t`` index, with no per-row time-zone arithmetic."""
        if not spans:
            return []
        bounds = "WITH b(i, lo, hi) AS (VALUES " + ", ".join("(?, ?, ?)" for _ in spans) + ") "
        args = [x for i, (lo, hi) in enumerate(spans) for x in (i, lo, hi)]
        out = [{"reps": 0, "good": 0, "sets": 0, "faults": {}} for _ in spans]
        for r in self._read(bounds + """SELECT b.i, COUNT(*) AS reps, SUM(r.verdict = 'good') AS good,
                                   COUNT(DISTINCT r.set_id) AS sets
                                   FROM b JOIN reps r ON r.t >= b.lo AND r.t < b.hi GROUP BY b.i""", args):
            out[r["i"]].update(reps=r["reps"], good=r["good"], sets=r["sets"])
        for r in self._read(bounds + """SELECT b.i, f.value AS code, COUNT(*) AS n
                                   FROM b JOIN reps r ON r.t >= b.lo AND r.t < b.hi
                                   JOIN json_each(r.faults) f WHERE r.verdict = 'fault'
                                   GROUP BY b.i, f.value ORDER BY b.i, n DESC""", args):
            out[r["i"]]["faults"][r["code"]] = r["n"]
        return out

    def export_csv(self, out: TextIO, *, since: float | None = None) -> int:
        """Every rep as CSV (oldest first); the number of rows written."""
        reps = list(reversed(self.reps(since=since, limit=10**9)))
        keys = sorted({k for r in reps for k in r["metrics"]})
        writer = csv.writer(out)
        # fault_names goes last, so a reader that counts columns still finds the metrics where they were
        writer.writerow(["time", "set_id", "rep", "verdict", "faults", *keys, "fault_names"])
        for r in reps:
            when = datetime.fromtimestamp(r["t"]).isoformat(timespec="seconds")
            writer.writerow([when, r["set_id"], r["rep"], r["verdict"], ";".join(r["faults"]),
                             *[r["metrics"].get(k, "") for k in keys],
                             "; ".join(fault_words(c) for c in r["faults"])])
        return len(reps)

    # ---------------------------------------------------------------- settings
    def save_settings(self, values: dict[str, Any], by: str | None = None) -> int:
        """Store a new version of the settings; its version number."""
        return self._write('INSERT INTO settings (t, by, "values") VALUES (?, ?, ?)',
                           (time.time(), by, json.dumps(values)))

    def load_settings(self) -> tuple[int, Any] | None:
        """The newest saved version and its values: a dict, or whatever a damaged row holds
        (None when its text is not JSON); :meth:`Settings.load` sorts the good fields out."""
        rows = self._read('SELECT version, "values" FROM settings ORDER BY version DESC LIMIT 1')
        if not rows:
            return None
        try:
            return rows[0]["version"], json.loads(rows[0]["values"])
        except (ValueError, TypeError, RecursionError):
            return rows[0]["version"], None

    # ---------------------------------------------------------------- staff accounts
    def add_account(self, name: str, password_hash: str) -> None:
        try:
            self._write("INSERT INTO accounts (name, password_hash, created) VALUES (?, ?, ?)",
                        (name, password_hash, time.time()))
        except StoreError as exc:
            if "UNIQUE" in str(exc):
                raise StoreError(f"an account named {name!r} exists already") from None
            raise

    def set_password_hash(self, name: str, password_hash: str, *, end_sessions: bool = True) -> None:
        """Replace an account's password hash; a new password ends every session of the account
        (``end_sessions=False``: the same password in a newer format, upgraded at sign-in)."""
        bump = 1 if end_sessions else 0
        self._write("UPDATE accounts SET password_hash = ?, generation = generation + ? WHERE name = ?",
                    (password_hash, bump, name))

    def end_sessions(self, name: str) -> None:
        """Every signed-in copy of this account's cookie stops working (sign-out)."""
        self._write("UPDATE accounts SET generation = generation + 1 WHERE name = ?", (name,))

    def account(self, name: str) -> dict | None:
        rows = self._read("SELECT name, password_hash, created, generation FROM accounts WHERE name = ?",
                          (name,))
        return dict(rows[0]) if rows else None

    def accounts(self) -> list[dict]:
        """Every account's name and when it was made, by name (no hashes)."""
        return [dict(r) for r in self._read("SELECT name, created FROM accounts ORDER BY name")]

    def remove_account(self, name: str) -> bool:
        """Remove an account, never the last one: the count is checked in the same statement,
        so two staff removing each other at once cannot leave none. True if it was removed; its
        sessions end with it (a cookie's account must exist)."""
        with self._lock:
            try:
                cur = self._db.execute(
                    "DELETE FROM accounts WHERE name = ? AND (SELECT COUNT(*) FROM accounts) > 1", (name,))
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: write failed ({exc})") from None
            return cur.rowcount == 1

    def account_names(self) -> list[str]:
        return [r["name"] for r in self._read("SELECT name FROM accounts ORDER BY name")]

    def account_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM accounts")[0][0])

    # ---------------------------------------------------------------- errors, for the health page
    def log_error(self, t: float, source: str, message: str) -> None:
        self._write("INSERT INTO errors (t, source, message) VALUES (?, ?, ?)", (t, source, message[:500]))
        self._write("DELETE FROM errors WHERE id <= (SELECT MAX(id) FROM errors) - ?", (KEEP_ERRORS,))

    def errors(self, limit: int = 20) -> list[dict]:
        rows = self._read("SELECT t, source, message FROM errors ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def integrity(self) -> str:
        """``ok``, or what SQLite's integrity check found."""
        return str(self._read("PRAGMA integrity_check")[0][0])

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
        replaces is kept as ``station.db.before-restore`` (returned). Writers wait meanwhile."""
        path = Path(str(self.path))
        aside = path.with_name(path.name + BEFORE_RESTORE)
        with self._lock:
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy:  # a reader held the log: nothing has changed yet
                raise StoreError("the rep log is busy (a long read); try the restore again")
            top = self._db.execute(f"SELECT {_TOP_REP_ID}").fetchone()[0]
            self._db.close()
            swapped = False
            try:
                _set_aside(path, aside)
                os.replace(new_file, path)
                swapped = True
                _sync_folder(path.parent)
                self._db = self._connect()
                self._db.execute(  # new reps continue above every id the replaced log held
                    "INSERT INTO counters (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
                    (REP_ID_FLOOR, top))
            except (OSError, sqlite3.DatabaseError) as exc:
                if swapped:
                    os.replace(aside, path)  # the old log back as it was
                self._db = self._connect()
                raise StoreError(f"{path}: the restore failed, nothing changed ({exc})") from None
            self.epoch += 1
            self.damage = None
        return aside


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
        import shutil

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


class Outbox(LogReader):
    """A reader of the rep log for one receiver (``name``): the reps after the last one it
    acknowledged, oldest first, and that mark itself.

    It has its own connection, so the publisher thread never waits on the loop's lock, nor the
    loop on it; the mark is written without a sync of its own (``synchronous=NORMAL``): after a
    power cut it may be a little behind, which sends a few reps twice, never loses one.

        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> log = RepLog.open(folder); s = log.start_set(1.0)
        >>> ids = [log.add_rep(s, 2.0 + i, i + 1, Verdict.GOOD, [], {}) for i in range(3)]
        >>> box = Outbox(log.path, "mqtt"); box.mark(ids[0])
        >>> [r["id"] for r in box.after(box.last())] == ids[1:], box.waiting(box.last())
        (True, 2)
    """

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
        return [{"id": r["id"], "set_id": r["set_id"], "t": r["t"], "rep": r["rep"], "verdict": r["verdict"],
                 "faults": json.loads(r["faults"]), "metrics": json.loads(r["metrics"])} for r in rows]

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


def _file_id(path: Path | str) -> int | None:
    """The log file's inode (None: not there): a restore's swap changes it."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None
