"""The station's backup file: a consistent copy of the rep log, the settings, and a manifest.

A backup is one zip::

    manifest.json   format, station version, schema version, when, and each member's sha256
    station.db      the rep log (sets, reps, settings history, staff accounts, errors): SQLite
    settings.json   the settings in force

:func:`write` makes one while the loop keeps writing (SQLite's online backup API, see
:meth:`station.storage.database.Database.snapshot_to`). :func:`check` takes an uploaded one apart
and refuses it, naming what is wrong, unless every part holds: the zip, the hashes, ``PRAGMA
integrity_check``, a schema this station knows (older ones are migrated), at least one staff
account, settings the Settings schema accepts. Only then may the caller swap it in
(:meth:`Station.restore`).

The file holds password hashes and any MQTT password, as the rep log does: keep it as safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from station import __version__
from station.config.settings import Settings, SettingsError
from station.pose.models import sha256_of
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
RESTORING = ".restoring"  # the checked copy waits beside the log under this name


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
    folder for the snapshot on its way into the zip (the data folder: /tmp may be RAM)."""
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


def check(upload: IO[bytes], log_path: Path) -> Checked:
    """Every check on an uploaded backup, before anything is replaced; BackupError naming the
    first problem, and nothing left behind. The checked log waits beside ``log_path``."""
    target = log_path.with_name(log_path.name + RESTORING)
    try:
        with _open_zip(upload) as z:
            manifest = _manifest(z)
            settings = _settings(_member_bytes(z, SETTINGS_MEMBER, manifest))
            _unpack_db(z, manifest, target)
        accounts, reps = _check_db(target, manifest)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
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
    try:
        manifest = json.loads(_read_capped(z, MANIFEST, SMALL_MEMBER))
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


def _read_capped(z: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """A member's bytes, at most ``cap`` (its header's size is not trusted: a zip bomb lies)."""
    try:
        with z.open(name) as f:
            data = f.read(cap + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise BackupError(f"{name} cannot be read from the zip ({exc})") from None
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


def _unpack_db(z: zipfile.ZipFile, manifest: dict[str, Any], target: Path) -> None:
    """The log, copied out at most MAX_DB_BYTES, hashed on the way, synced to disk."""
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
    except (zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
        raise BackupError(f"station.db cannot be read from the zip ({exc})") from None
    _same_hash(DB_MEMBER, digest.hexdigest(), manifest)


def _check_db(path: Path, manifest: dict[str, Any]) -> tuple[list[str], int]:
    """integrity_check, a known schema (older: migrated here), accounts; (account names, reps)."""
    try:
        db = sqlite3.connect(str(path), isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"station.db cannot be opened ({exc})") from None
    try:
        found = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        if found != "ok":
            raise BackupError(f"station.db is damaged (SQLite's integrity check: {found[:160]})")
        schema = int(db.execute("PRAGMA user_version").fetchone()[0])
        _known_schema(schema, manifest)
        migrate(db, path)
        accounts = [r[0] for r in db.execute("SELECT name FROM accounts ORDER BY name")]
        reps = int(db.execute("SELECT COUNT(*) FROM reps").fetchone()[0])
        db.execute("PRAGMA journal_mode=DELETE")  # one file, as it was packed
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"station.db is damaged or not a rep log ({exc})") from None
    finally:
        db.close()
    if not accounts:
        raise BackupError("the backup has no staff accounts: restoring it would lock everyone out")
    with open(path, "rb+") as f:  # the migration's writes, on disk before the swap
        os.fsync(f.fileno())
    return accounts, reps


def _known_schema(schema: int, manifest: dict[str, Any]) -> None:
    if schema != manifest.get("schema_version"):
        raise BackupError(f"station.db has schema {schema} but manifest.json says "
                          f"{manifest.get('schema_version')!r}")
    if schema > len(MIGRATIONS):
        raise BackupError(f"station.db was written by a newer station (schema {schema}; this one knows "
                          f"up to {len(MIGRATIONS)}): update the station first")
    if schema < 1:
        raise BackupError("station.db is an empty database, not a rep log")

