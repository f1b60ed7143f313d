"""The rep log's schema: numbered migrations, run in order and counted in ``PRAGMA user_version``.

Kept apart from the connection (:mod:`station.storage.database`) because it is read on its own: a
restore migrates an uploaded backup's log with :func:`migrate` before it is swapped in, and the
backup check compares a backup's schema number with ``len(MIGRATIONS)``.

    >>> import sqlite3
    >>> db = sqlite3.connect(":memory:", isolation_level=None)
    >>> migrate(db, ":memory:"); db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    True
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from station.storage import StoreError

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
TREND_INDEX = "reps_t_trend"

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
# reuse one (Database.replace raises the floor above every id the replaced log held).
V6 = ["CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"]
REP_ID_FLOOR = "rep_id_floor"
# The highest id a rep has had in this log: its reps', or the floor a restore left.
TOP_REP_ID = ("MAX(COALESCE((SELECT MAX(id) FROM reps), 0), "
              f"COALESCE((SELECT value FROM counters WHERE name = '{REP_ID_FLOOR}'), 0))")

# V7: a rep may be counted but not judged (coach Verdict.UNJUDGED: the camera could not see the
# back or the dowel). SQLite cannot change a CHECK in place, so the table is rebuilt with its rows
# and indexes; nothing refers to reps by foreign key.
V7 = [
    """CREATE TABLE reps_v7 (
        id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id), t REAL NOT NULL,
        rep INTEGER NOT NULL, verdict TEXT NOT NULL CHECK (verdict IN ('good', 'fault', 'unjudged')),
        faults TEXT NOT NULL, metrics TEXT NOT NULL)""",
    "INSERT INTO reps_v7 (id, set_id, t, rep, verdict, faults, metrics) "
    "SELECT id, set_id, t, rep, verdict, faults, metrics FROM reps",
    "DROP TABLE reps",
    "ALTER TABLE reps_v7 RENAME TO reps",
    "CREATE INDEX reps_t ON reps(t)",
    "CREATE INDEX reps_t_trend ON reps(t, verdict, set_id, faults)",
]

# V8: staff's labels of a kept set's count (station/storage/kept_sets.py): a rep the coach
# invented (one of its reps struck out) or one it missed (at a moment of the stream, with the
# faults it truly had), so an exported set can teach counting as well as judging.
V8 = [
    """CREATE TABLE count_labels (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES kept_sets(set_id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('missed', 'invented')),
        rep INTEGER, at REAL, faults TEXT NOT NULL, by TEXT NOT NULL, t REAL NOT NULL,
        CHECK ((kind = 'invented' AND rep IS NOT NULL AND at IS NULL)
               OR (kind = 'missed' AND at IS NOT NULL AND rep IS NULL)),
        UNIQUE (set_id, rep))""",
]

MIGRATIONS: list[list[str]] = [V1, V2, V3, V4, V5, V6, V7, V8]


def migrate(db: sqlite3.Connection, path: Path | str) -> None:
    """Bring a log (on an autocommit connection) to this station's schema, one transaction per
    migration; StoreError if a newer station wrote it. ``path`` names the log in that error."""
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
