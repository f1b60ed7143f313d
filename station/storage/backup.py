"""The station's backup file: a consistent copy of the rep log, the settings, and a manifest.

A backup is one zip::

    manifest.json   format, station version, schema version, when, and each member's sha256
    station.db      the rep log (sets, reps, settings history, staff accounts, errors): SQLite
    settings.json   the settings in force

:func:`write` makes one while the loop keeps writing (SQLite's online backup API, see
:meth:`station.storage.database.Database.snapshot_to`). :func:`check` takes an uploaded one apart
and refuses it, naming what is wrong, unless every part holds: the zip, the hashes, ``PRAGMA
integrity_check``, a schema this station knows, at least one staff account one can sign in with,
settings the Settings schema accepts. A backup carries data, never code: the check builds a fresh
log in this station's own schema and copies the upload's rows into it (types and constraints
checked); an upload holding triggers, views or tables a station never has is refused. Only then
may the caller swap the fresh log in (:meth:`Station.restore`).

The file holds password hashes and any MQTT password, as the rep log does: keep it as safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import time
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from station import __version__
from station.config.settings import Settings, SettingsError
from station.pose.models import sha256_of
from station.storage import StoreError
from station.storage.replog import RepLog
from station.storage.schema import MIGRATIONS, migrate

FORMAT = "hinge-station-backup"
FORMAT_VERSION = 1
DB_MEMBER, SETTINGS_MEMBER, MANIFEST = "station.db", "settings.json", "manifest.json"
MEMBERS = (DB_MEMBER, SETTINGS_MEMBER)
SMALL_MEMBER = 64 * 1024  # the manifest and settings (settings exports are capped so, web/__init__)
# The unpacked rep log at most: a zip bomb stops here. benchmarks/backup_size.py measures the
# log at ~370 bytes a rep, so this is some 1.4 million reps (the 32 MiB upload cap, ~700,000).
MAX_DB_BYTES = 512 * 2**20
RESTORING = ".restoring"  # the fresh log built from a checked upload waits beside the log under this name
UNPACKED = ".uploaded"  # the upload's own log, while its rows are copied out (then deleted)
# A check (the copy included) stops after CHECK_DEADLINE_S plus CHECK_S_PER_MIB for each MiB of
# the unpacked log: a crafted file must not hold the one restore slot for ever, and every step of
# the check reads the log a bounded number of times, so its time grows with the size. Measured
# (benchmarks/backup_size.py --reps 100000): a 39 MiB log checks in 3.9-17 s on a 2-core x86
# machine at load 2-24, 0.1-0.45 s a MiB; a Pi 4 is some 3 times slower, so 2 s a MiB is ample,
# and 60 s covers the fixed part (zip, hashes, the fresh log's schema) with room.
CHECK_DEADLINE_S = 60.0
CHECK_S_PER_MIB = 2.0
PROGRESS_STEPS = 10_000  # SQLite instructions between looks at the deadline (microseconds each)
COPY_BATCH = 1000  # rows read and written at a time: memory stays small whatever the log's size


class BackupError(ValueError):
    """The uploaded file is not a backup this station can restore; the message says why."""


@dataclass(frozen=True)
class Checked:
    """A backup that passed every check: its log (migrated, synced, beside the station's log)."""

    db: Path
    settings: Settings
    manifest: dict[str, Any]
    accounts: list[str]
    reps: int

    def discard(self) -> None:
        self.db.unlink(missing_ok=True)


def write(store: RepLog, settings: Settings, out: IO[bytes], work: Path) -> dict[str, Any]:
    """Write a backup zip of ``store`` and ``settings`` to ``out``; its manifest. ``work``: a
    folder for the snapshot on its way into the zip (the data folder: /tmp may be RAM).
    StoreError when the folder cannot hold it (gone, full): the pages say so, never a 500."""
    try:
        return _write(store, settings, out, work)
    except OSError as exc:
        raise StoreError(f"{work}: cannot make a backup there ({exc.strerror or exc})") from None


def _write(store: RepLog, settings: Settings, out: IO[bytes], work: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=work, prefix=".backup-") as folder:
        db = Path(folder) / DB_MEMBER
        schema = store.db.snapshot_to(db)
        settings_bytes = json.dumps(settings.to_dict(), indent=2, sort_keys=True).encode()
        now = time.time()
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "station_version": __version__,
            "schema_version": schema, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
            "created_t": round(now, 3),
            "files": {DB_MEMBER: {"sha256": sha256_of(db), "bytes": db.stat().st_size},
                      SETTINGS_MEMBER: {"sha256": hashlib.sha256(settings_bytes).hexdigest(),
                                        "bytes": len(settings_bytes)}},
        }
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, json.dumps(manifest, indent=2))
            z.write(db, DB_MEMBER)
            z.writestr(SETTINGS_MEMBER, settings_bytes)
    return manifest


def check(upload: IO[bytes], log_path: Path, *,
          can_sign_in: Callable[[str], bool] = lambda _: True) -> Checked:
    """Every check on an uploaded backup, before anything is replaced; BackupError naming the
    first problem, and nothing left behind. The upload's log is never used as it is: its rows are
    copied into a fresh log in this station's own schema (:func:`_copy_log`), which waits beside
    ``log_path`` for the swap. ``can_sign_in``: whether a stored password hash is one this station
    can check (a log nobody could sign in to is refused). Within a deadline that grows with the size."""
    unpacked = log_path.with_name(log_path.name + UNPACKED)
    target = log_path.with_name(log_path.name + RESTORING)
    started = time.monotonic()
    try:
        with _open_zip(upload) as z:
            manifest = _manifest(z)
            settings = _settings(_member_bytes(z, SETTINGS_MEMBER, manifest))
            size = _unpack_db(z, manifest, unpacked)
        target.unlink(missing_ok=True)
        limit = CHECK_DEADLINE_S + CHECK_S_PER_MIB * size / 2**20
        accounts, reps = _copy_log(unpacked, target, manifest, can_sign_in, (started + limit, limit))
    except OSError as exc:  # the data folder, not the upload: gone, full, read-only
        target.unlink(missing_ok=True)
        why = exc.strerror or exc
        raise StoreError(f"{log_path.parent}: cannot unpack the backup there ({why})") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        for leftover in (unpacked, Path(f"{unpacked}-wal"), Path(f"{unpacked}-shm")):
            leftover.unlink(missing_ok=True)
    return Checked(target, settings, manifest, accounts, reps)


def _open_zip(upload: IO[bytes]) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BackupError("not a zip file: a backup is the .zip that Download a backup makes") from None
    names = set(z.namelist())
    missing = [n for n in (MANIFEST, *MEMBERS) if n not in names]
    extra = sorted(names - {MANIFEST, *MEMBERS})
    if missing or extra:
        z.close()
        what = (f"it has no {', '.join(missing)}" if missing else
                f"it holds files a backup never has: {', '.join(extra)[:200]}")
        raise BackupError(f"not a station backup: {what}")
    return z


def _manifest(z: zipfile.ZipFile) -> dict[str, Any]:
    data = _read_capped(z, MANIFEST, SMALL_MEMBER)
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError):
        raise BackupError("manifest.json is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("manifest.json is not a station backup's manifest")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(f"the backup's format ({manifest.get('format_version')!r}) is newer than this "
                          f"station's ({FORMAT_VERSION}); update the station first")
    files = manifest.get("files")
    for name in MEMBERS:
        entry = files.get(name) if isinstance(files, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise BackupError(f"manifest.json has no sha256 for {name}")
    return manifest


# What reading a member of a damaged or unusual zip raises: a bad header, a short file, an unknown
# compression, corrupt deflate data (zlib.error), a password-protected member (RuntimeError).
ZIP_READ_ERRORS = (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error, RuntimeError, ValueError)


def _zip_problem(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "it is encrypted: a station's backup never is"
    if isinstance(exc, zlib.error):
        return "its compressed data is damaged"
    return str(exc)[:160] or type(exc).__name__


def _read_capped(z: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """A member's bytes, at most ``cap`` (its header's size is not trusted: a zip bomb lies)."""
    try:
        with z.open(name) as f:
            data = f.read(cap + 1)
    except ZIP_READ_ERRORS as exc:
        raise BackupError(f"{name} cannot be read from the zip ({_zip_problem(exc)})") from None
    if len(data) > cap:
        raise BackupError(f"{name} is larger than a backup's ({cap // 1024} KiB at most)")
    return data


def _member_bytes(z: zipfile.ZipFile, name: str, manifest: dict[str, Any]) -> bytes:
    data = _read_capped(z, name, SMALL_MEMBER)
    _same_hash(name, hashlib.sha256(data).hexdigest(), manifest)
    return data


def _same_hash(name: str, got: str, manifest: dict[str, Any]) -> None:
    if got != manifest["files"][name]["sha256"]:
        raise BackupError(f"{name} does not match the sha256 in manifest.json: the file was damaged "
                          "or changed after the backup was made")


def _settings(data: bytes) -> Settings:
    try:
        values = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise BackupError("settings.json is not JSON") from None
    if not isinstance(values, dict):
        raise BackupError("settings.json is not a JSON object of settings")
    try:
        return Settings.from_dict(values)
    except SettingsError as exc:
        wrong = "; ".join(f"{k}: {v}" for k, v in list(exc.errors.items())[:5])
        raise BackupError(f"settings.json has settings this station refuses ({wrong})") from None


def _unpack_db(z: zipfile.ZipFile, manifest: dict[str, Any], target: Path) -> int:
    """The log, copied out at most MAX_DB_BYTES, hashed on the way, synced to disk; its size."""
    digest, size = hashlib.sha256(), 0
    try:
        with z.open(DB_MEMBER) as src, open(target, "wb") as dst:
            while chunk := src.read(2**20):
                size += len(chunk)
                if size > MAX_DB_BYTES:
                    raise BackupError(f"station.db unpacks to more than {MAX_DB_BYTES // 2**20} MiB")
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except ZIP_READ_ERRORS as exc:
        raise BackupError(f"station.db cannot be read from the zip ({_zip_problem(exc)})") from None
    _same_hash(DB_MEMBER, digest.hexdigest(), manifest)
    return size


def _copy_log(upload: Path, target: Path, manifest: dict[str, Any], can_sign_in: Callable[[str], bool],
              until: tuple[float, float]) -> tuple[list[str], int]:
    """A fresh log at ``target`` in this station's own schema, holding the upload's rows; (the
    names of accounts one can sign in with, reps). Nothing of the upload's schema runs.
    ``until``: the deadline (``time.monotonic()``) and how long that is, for the message."""
    deadline, limit = until
    src = _open_upload(upload, deadline)
    try:
        fresh = sqlite3.connect(str(target), isolation_level=None)
        try:
            fresh.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
            migrate(fresh, target)  # this station's schema, not the upload's
            found = str(src.execute("PRAGMA integrity_check").fetchone()[0])
            if found != "ok":
                raise BackupError(f"station.db is damaged (SQLite's integrity check: {found[:160]})")
            _known_schema(int(src.execute("PRAGMA user_version").fetchone()[0]), manifest)
            tables = _known_tables(fresh)
            _only_data(src, tables)
            fresh.execute("BEGIN IMMEDIATE")
            for table, columns in tables.items():
                _copy_table(src, fresh, table, columns, deadline)
            fresh.execute("COMMIT")
            _whole(fresh)
            hashes = fresh.execute("SELECT name, password_hash FROM accounts ORDER BY name").fetchall()
            reps = int(fresh.execute("SELECT COUNT(*) FROM reps").fetchone()[0])
        finally:
            fresh.close()
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline or "interrupted" in str(exc):
            raise BackupError(f"checking station.db took longer than {limit:.0f} s, so it was "
                              "stopped; a backup this station made checks in far less") from None
        raise BackupError(f"station.db is damaged or not a rep log ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"station.db is damaged or not a rep log ({exc})") from None
    finally:
        src.close()
    if not hashes:
        raise BackupError("the backup has no staff accounts: restoring it would lock everyone out")
    usable = [name for name, stored in hashes if can_sign_in(stored)]
    if not usable:
        raise BackupError(f"none of the backup's {len(hashes)} staff accounts has a password this station "
                          "can check: restoring it would leave nobody able to sign in")
    with open(target, "rb+") as f:  # on disk before the swap
        os.fsync(f.fileno())
    return usable, reps


def _open_upload(path: Path, deadline: float) -> sqlite3.Connection:
    """The uploaded log, read-only, its schema distrusted: nothing in it may call a function
    with side effects (``trusted_schema=OFF``), and this connection may only read (the
    authorizer refuses ATTACH, writes and any pragma or function not listed), under ``deadline``.
    Python 3.11's sqlite3 has no ``setconfig`` for SQLite's defensive mode: these do its job here."""
    # immutable: no locks and no -wal or -shm beside it, even for a file whose header says WAL
    # (nothing else has this private copy open, so nothing can change it meanwhile).
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"station.db cannot be opened ({exc})") from None
    db.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    db.execute("PRAGMA trusted_schema=OFF")
    db.execute("PRAGMA cell_size_check=ON")  # damage found as an error, not read as data
    db.set_authorizer(_only_reading)
    return db


# What the check's own statements on the upload need, and nothing more.
_READ_PRAGMAS = {"integrity_check", "user_version", "table_xinfo"}
_READ_FUNCTIONS = {"count", "typeof"}


def _only_reading(action: int, arg1: str | None, arg2: str | None, _db: str | None,
                  _trigger: str | None) -> int:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in _READ_PRAGMAS and not (arg1 == "user_version" and arg2):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION and arg2 in _READ_FUNCTIONS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _known_tables(fresh: sqlite3.Connection) -> dict[str, dict[str, tuple[str, bool]]]:
    """This station's tables, in the order the migrations made them (so a row's parent comes
    first), each with its columns' declared types and whether they may be NULL."""
    names = [r[0] for r in fresh.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY rowid")]
    return {name: {c[1]: (str(c[2]).upper(), not c[3] and not c[5])
                   for c in fresh.execute(f'PRAGMA table_info("{name}")')} for name in names}


def _only_data(src: sqlite3.Connection, tables: dict[str, dict[str, tuple[str, bool]]]) -> None:
    """Refuse an upload whose schema holds anything but this station's tables: a trigger or a
    view is code that would run in the live log (a trigger that adds an account each time a rep is
    written), and an unknown table is nothing a station wrote. Indexes are left behind: the fresh
    log builds its own."""
    foreign = []
    for kind, name, sql in src.execute("SELECT type, name, sql FROM sqlite_master ORDER BY rowid"):
        if kind == "table" and name in tables and not str(sql or "").upper().startswith("CREATE VIRTUAL"):
            continue
        if kind == "index" or (kind == "table" and str(name).startswith("sqlite_")):
            continue  # the upload's indexes and SQLite's own tables: not copied
        foreign.append(f"{'virtual table' if 'VIRTUAL' in str(sql or '').upper() else kind} {name!r}")
    if foreign:
        raise BackupError(f"station.db holds {', '.join(foreign)[:240]}, which a station's rep log never "
                          "has: a backup carries data only, so this one was made or changed elsewhere")


def _copy_table(src: sqlite3.Connection, fresh: sqlite3.Connection, table: str,
                columns: dict[str, tuple[str, bool]], deadline: float) -> None:
    """The upload's rows of ``table`` into the fresh log's, each value's type checked against
    this station's column (the upload's declared types are not trusted), the fresh table's
    constraints checked by SQLite as each row goes in."""
    info = src.execute(f'PRAGMA table_xinfo("{table}")').fetchall()
    if not info:
        return  # an older log without this table: it stays empty
    odd = [str(c[1]) for c in info if c[6] or c[1] not in columns]  # hidden: generated, computed on read
    if odd:
        raise BackupError(f"station.db's table {table} has columns a station's log never has "
                          f"({', '.join(odd)[:160]})")
    names = [c[1] for c in info]
    quoted = ", ".join(f'"{n}"' for n in names)
    _same_types(src, table, {n: columns[n] for n in names})
    rows = src.execute(f'SELECT {quoted} FROM "{table}"')
    insert = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
    while batch := rows.fetchmany(COPY_BATCH):
        try:
            fresh.executemany(insert, batch)
        except sqlite3.IntegrityError as exc:
            raise BackupError(f"station.db's table {table} has rows a station's log refuses "
                              f"({exc})") from None
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("interrupted")


# Ids and counts a station writes stay far below 2^53 (a rep a second for 285 million years), the
# largest integer a browser or an MQTT consumer's JSON keeps exactly; a crafted id near 2^63 would
# make the next rep's id overflow, so no rep would be stored again.
MAX_INTEGER = 2**53

# SQLite's typeof() of a value each of this station's declared column types may hold.
_TYPES: dict[str, tuple[str, ...]] = {"INTEGER": ("integer",), "REAL": ("integer", "real"), "TEXT": ("text",),
                                      "BLOB": ("blob",)}


def _same_types(src: sqlite3.Connection, table: str, columns: dict[str, tuple[str, bool]]) -> None:
    """Each value of the upload's ``table`` has a type this station's column holds (its own
    declared types are not trusted: SQLite stores any type in any column). One query in SQLite,
    not a Python test per value: a 700,000-rep log is checked in well under a second."""
    anything = ("integer", "real", "text", "blob")
    allowed = {name: _TYPES.get(declared, anything) + (("null",) if nullable else ())
               for name, (declared, nullable) in columns.items()}
    kinds = [f'typeof("{n}")' for n in allowed]
    wrong = " OR ".join(f"{k} NOT IN ({', '.join(repr(t) for t in allowed[n])})"
                        for k, n in zip(kinds, allowed, strict=True))
    row = src.execute(f'SELECT {", ".join(kinds)} FROM "{table}" WHERE {wrong} LIMIT 1').fetchone()
    if row is not None:
        name, kind = next((n, k) for n, k in zip(allowed, row, strict=True) if k not in allowed[n])
        raise BackupError(f"station.db's table {table}: {name} holds {kind} where a station writes "
                          f"{columns[name][0] or 'a value'}{'' if columns[name][1] else ' (never empty)'}")
    whole = [n for n, (declared, _) in columns.items() if declared == "INTEGER"]
    beyond = " OR ".join(f'"{n}" > {MAX_INTEGER} OR "{n}" < -{MAX_INTEGER}' for n in whole)
    if beyond and src.execute(f'SELECT 1 FROM "{table}" WHERE {beyond} LIMIT 1').fetchone():
        raise BackupError(f"station.db's table {table} holds a number beyond 2^53, which no station writes "
                          "(a rep id that large would stop new reps from being stored)")


def _whole(fresh: sqlite3.Connection) -> None:
    """The fresh log passes SQLite's integrity and foreign-key checks."""
    orphans = fresh.execute("PRAGMA foreign_key_check").fetchall()
    if orphans:
        table, rowid, parent, _ = orphans[0]
        raise BackupError(f"station.db has {len(orphans)} rows that refer to rows it does not hold "
                          f"(the first: {table} row {rowid}, whose {parent} row is missing)")
    found = str(fresh.execute("PRAGMA integrity_check").fetchone()[0])
    if found != "ok":
        raise BackupError(f"the restored log fails SQLite's integrity check ({found[:160]})")

def _known_schema(schema: int, manifest: dict[str, Any]) -> None:
    if schema != manifest.get("schema_version"):
        raise BackupError(f"station.db has schema {schema} but manifest.json says "
                          f"{manifest.get('schema_version')!r}")
    if schema > len(MIGRATIONS):
        raise BackupError(f"station.db was written by a newer station (schema {schema}; this one knows "
                          f"up to {len(MIGRATIONS)}): update the station first")
    if schema < 1:
        raise BackupError("station.db is an empty database, not a rep log")

