"""Backups taken apart and put together again, as an attacker holding one backup can: members
replaced, the log edited, the manifest's hashes made to match again. For the backup tests and
benchmarks/restore_attacks.py (which runs the same crafts against older trees)."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

# A trigger that adds a staff account whenever a rep is written (issue 27, item 1).
MALLORY = ("CREATE TRIGGER mallory AFTER INSERT ON reps BEGIN INSERT OR IGNORE INTO accounts "
           "(name, password_hash, created) VALUES ('mallory', 'scrypt:32768:8:1$x$00', 0); END")
# ``reps`` a view that never ends (a restore that checked it in place never answered).
RECURSIVE_REPS = ("PRAGMA foreign_keys=OFF", "DROP TABLE IF EXISTS rep_labels", "DROP TABLE reps",
                  "CREATE VIEW reps AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                  "SELECT i AS id FROM n")


def members(data: bytes) -> dict[str, bytes]:
    """A zip's members by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def zip_of(parts: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip of ``parts`` (name -> bytes), in their order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def repack(data: bytes, *, fix_hashes: bool = True, manifest: dict | None = None,
           compression: int = zipfile.ZIP_STORED, **files: bytes) -> bytes:
    """The backup with members replaced (``station_db=...`` for station.db), its manifest's
    hashes made to match again unless ``fix_hashes`` is False."""
    parts = members(data)
    for key, value in files.items():
        parts[key.replace("_", ".")] = value
    man = json.loads(parts["manifest.json"]) | (manifest or {})
    if fix_hashes:
        for name in ("station.db", "settings.json"):
            man["files"][name]["sha256"] = hashlib.sha256(parts[name]).hexdigest()
    parts["manifest.json"] = json.dumps(man).encode()
    return zip_of(parts, compression)


def edit_db(data: bytes, work: Path, *statements: str) -> bytes:
    """The backup's station.db with ``statements`` run on it (a copy in ``work``)."""
    path = work / "edit.db"
    path.write_bytes(members(data)["station.db"])
    db = sqlite3.connect(str(path), isolation_level=None)
    for s in statements:
        db.execute(s)
    db.close()
    return path.read_bytes()
