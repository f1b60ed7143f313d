"""The rep log on real SQLite: round trips, migrations, durability after SIGKILL."""

from __future__ import annotations

import io
import signal
import sqlite3  # raw SQL here checks the rep log from outside: what is on disk, or damage made to it
import subprocess
import sys
import time

import pytest

from station.coach.vocabulary import Verdict
from station.storage import StoreError
from station.storage.database import DB_NAME
from station.storage.replog import RepLog
from station.storage.schema import MIGRATIONS


def test_sets_reps_days_faults_and_csv(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    now = time.time()
    s1 = log.reps.start_set(now - 60, "left")
    log.reps.add(s1, now - 50, 1, "good", [], {"duration_s": 2.5})
    log.reps.add(s1, now - 40, 2, "fault", ["squat", "too_fast"], {"duration_s": 0.8})
    log.reps.end_set(s1, now - 30)
    s2 = log.reps.start_set(now - 20, "right")
    log.reps.add(s2, now - 10, 1, "fault", ["squat"], {"duration_s": 2.0, "max_knee_flexion": 80.0})
    assert [r["rep"] for r in log.reps.newest_first()] == [1, 2, 1]
    assert log.reps.newest_first(limit=1)[0]["faults"] == ["squat"]
    sets = log.reps.sets()
    assert [(s["reps"], s["good"], s["facing"]) for s in sets] == [(1, 0, "right"), (2, 1, "left")]
    assert log.history.fault_counts() == {"squat": 2, "too_fast": 1}
    (span,) = log.history.trend([(now - 60, now)])  # one span: no day boundary to fall across at midnight
    assert span["reps"] == 3 and span["sets"] == 2 and span["good"] == 1 and span["faults"]["squat"] == 2
    out = io.StringIO()
    assert log.history.export_csv(out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "time,set_id,rep,verdict,faults,duration_s,max_knee_flexion,fault_names"
    assert lines[2].split(",")[3:5] == ["fault", "squat;too_fast"]


def test_settings_are_versioned_and_accounts_unique(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    assert log.saved_settings.newest() is None
    assert log.saved_settings.add({"min_rep_s": 1.0}, by="ann") == 1
    assert log.saved_settings.add({"min_rep_s": 2.0}, by="ann") == 2
    assert log.saved_settings.newest() == (2, {"min_rep_s": 2.0})
    log.accounts.add("ann", "hash")
    with pytest.raises(StoreError, match="exists already"):
        log.accounts.add("ann", "other")
    assert log.accounts.get("ann")["password_hash"] == "hash" and log.accounts.count() == 1
    log.accounts.add("bob", "bob")
    log.accounts.set_password_hash("ann", "new hash")
    assert log.accounts.get("ann")["password_hash"] == "new hash"
    assert log.accounts.get("bob")["password_hash"] == "bob"


def test_schema_migrates_from_empty_and_refuses_a_newer_one(tmp_path) -> None:
    path = tmp_path / DB_NAME
    RepLog(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer station"):
        RepLog(path)


def test_a_file_that_is_not_a_database_is_kept_aside_and_a_fresh_log_started(tmp_path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    log = RepLog.open(tmp_path)
    assert log.db.damage and "kept as station.db.damaged-" in log.db.damage
    assert log.reps.newest_first() == [] and log.db.integrity() == "ok"
    aside = list(tmp_path.glob(f"{DB_NAME}.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")


def _log_of_reps(tmp_path) -> None:
    """A sound log with an account, settings and 3000 reps, closed (checkpointed: every page is in
    the main file)."""
    log = RepLog.open(tmp_path)
    log.accounts.add("ann", "hash")
    log.saved_settings.add({"min_rep_s": 2.0})
    set_id = log.reps.start_set(1.0)
    for i in range(3000):
        log.reps.add(set_id, 2.0 + i, i, Verdict.GOOD, [], {"depth": 0.5, "note": "x" * 40})
    log.close()


def _damage_a_page_of_reps(tmp_path) -> None:
    # Raw SQLite from outside the storage layer on purpose: it finds the page to damage.
    # A leaf page of the reps table itself (SQLite's dbstat names each page's owner), not one of
    # its indexes: those hold only some columns and a query could read around the damage.
    db = sqlite3.connect(str(tmp_path / DB_NAME))
    leaves = [n for (n,) in db.execute("SELECT pageno FROM dbstat WHERE name = 'reps' AND pagetype = 'leaf' "
                                       "ORDER BY pageno")]
    page = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    victim = leaves[len(leaves) // 2] - 1  # pages count from 1
    data = bytearray((tmp_path / DB_NAME).read_bytes())
    data[page * victim:page * victim + page] = bytes(range(256)) * (page // 256)  # one page of reps
    (tmp_path / DB_NAME).write_bytes(bytes(data))


def test_a_damaged_page_is_found_at_start_and_accounts_and_settings_are_kept(tmp_path) -> None:
    _log_of_reps(tmp_path)
    _damage_a_page_of_reps(tmp_path)
    log = RepLog.open(tmp_path)
    assert log.db.damage and "accounts" in log.db.damage
    assert log.accounts.get("ann") is not None and log.saved_settings.newest()[1] == {"min_rep_s": 2.0}
    assert log.reps.newest_first() == []  # the reps stay in the copy kept aside
    set_id = log.reps.start_set(5.0)
    log.reps.add(set_id, 6.0, 1, Verdict.GOOD, [], {})
    assert len(log.reps.newest_first()) == 1 and log.db.check() is None


def test_the_daily_check_swaps_in_a_fresh_log_when_the_open_one_is_damaged(tmp_path) -> None:
    _log_of_reps(tmp_path)
    log = RepLog.open(tmp_path)  # sound when opened: the check at start finds nothing
    assert log.db.damage is None and len(log.reps.newest_first(limit=10**6)) == 3000
    _damage_a_page_of_reps(tmp_path)  # while the station runs, as a failing SD card does
    found = log.db.check()
    assert found is not None and found == log.db.damage and "kept as station.db.damaged-" in found
    assert len(list(tmp_path.glob(f"{DB_NAME}.damaged-*"))) >= 1
    # The fresh log is the open one now: the salvaged account and settings, none of the reps,
    # and it takes writes; the next check finds it sound.
    assert log.reps.newest_first() == [] and log.accounts.get("ann") is not None
    assert log.saved_settings.newest() == (1, {"min_rep_s": 2.0})
    log.reps.add(log.reps.start_set(5.0), 6.0, 1, Verdict.GOOD, [], {})
    assert len(log.reps.newest_first()) == 1 and log.db.check() is None
    assert log.db.file_problem is None  # the fresh file is the log, not a stranger replacing it
    log.close()


def test_errors_are_kept_newest_first(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    for i in range(3):
        log.errors.add(float(i), "camera", f"trouble {i}")
    assert [e["message"] for e in log.errors.newest(2)] == ["trouble 2", "trouble 1"]


WRITER = """
import sys, time
from station.coach.vocabulary import Verdict
from station.storage.replog import RepLog
log = RepLog(sys.argv[1])
s = log.reps.start_set(time.time())
i = 0
while True:
    i += 1
    log.reps.add(s, time.time(), i, "good", [], {"i": i})
    print(i, flush=True)
"""


def test_reps_reported_before_sigkill_are_on_disk(tmp_path) -> None:
    path = tmp_path / DB_NAME
    for kill in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        reported = []
        deadline = time.monotonic() + 10
        while len(reported) < 5 + 7 * kill and time.monotonic() < deadline:
            reported.append(int(proc.stdout.readline()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(reported) == 5 + 7 * kill, f"kill {kill}: the writer reported too few reps in 10 s"
        log = RepLog(path)
        assert log.db.integrity() == "ok"
        stored = {r["metrics"]["i"] for r in log.reps.newest_first(limit=10**6) if r["set_id"] == max(
            s["id"] for s in log.reps.sets())}
        assert set(reported) <= stored
        log.close()


def test_after_a_restore_new_reps_never_reuse_an_id_the_replaced_log_held(tmp_path) -> None:
    """Receivers of the MQTT rep events de-duplicate by id: a rep written after a restore must
    not take the id of a rep the replaced log held (and may have published)."""
    log = RepLog.open(tmp_path)
    set_id = log.reps.start_set(1.0)
    for i in range(3):
        log.reps.add(set_id, 2.0 + i, i + 1, Verdict.GOOD, [], {})
    copy = tmp_path / "backup.db"
    log.db.snapshot_to(copy)  # what a backup holds: reps 1-3
    for i in range(3, 6):
        log.reps.add(set_id, 2.0 + i, i + 1, Verdict.GOOD, [], {})  # ids 4-6, published since
    log.db.replace(copy)
    assert sorted(r["id"] for r in log.reps.newest_first()) == [1, 2, 3]
    new_set = log.reps.start_set(10.0)
    assert log.reps.add(new_set, 11.0, 1, Verdict.GOOD, [], {}) == 7
    log.close()
    assert RepLog.open(tmp_path).reps.add(new_set, 12.0, 2, Verdict.GOOD, [], {}) == 8  # kept on disk


def test_ping_says_false_when_the_file_stops_being_a_database(tmp_path) -> None:
    """The health page asks ping(): a log that no longer reads must answer False, not raise."""
    log = RepLog.open(tmp_path)
    assert log.db.ping() is True
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 300)
    log.db._db.close()  # the open connection swapped for one on garbage: no public way to do it
    log.db._db = sqlite3.connect(str(garbage), check_same_thread=False, isolation_level=None)
    assert log.db.ping() is False


def test_a_rep_counted_but_not_judged_is_stored_and_an_older_log_keeps_its_reps(tmp_path) -> None:
    from station.storage.schema import V7

    path = tmp_path / DB_NAME
    # A log as a station before V7 left it: its reps must come through the table's rebuild.
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[: MIGRATIONS.index(V7)]:
        for statement in migration:
            db.execute(statement)
    db.execute("INSERT INTO sets (id, t_start, facing) VALUES (1, 10.0, 'left')")
    db.execute("INSERT INTO reps (id, set_id, t, rep, verdict, faults, metrics) "
               "VALUES (7, 1, 12.0, 1, 'fault', '[\"squat\"]', '{}')")
    with pytest.raises(sqlite3.IntegrityError):  # what V7 is for: the old CHECK refuses the verdict
        db.execute("INSERT INTO reps (set_id, t, rep, verdict, faults, metrics) "
                   "VALUES (1, 13.0, 2, 'unjudged', '[]', '{}')")
    db.execute(f"PRAGMA user_version={MIGRATIONS.index(V7)}")
    db.close()
    log = RepLog(path)
    rep_id = log.reps.add(1, 14.0, 2, Verdict.UNJUDGED, [], {"view_yaw_deg": 41.0})
    assert rep_id == 8
    assert [(r["id"], r["verdict"], r["faults"]) for r in log.reps.newest_first()] == [
        (8, "unjudged", []), (7, "fault", ["squat"])]
    assert log.history.totals()["reps"] == {"good": 0, "fault": 1, "unjudged": 1}
    assert log.db.integrity() == "ok"
    log.close()
    plan = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE tbl_name = 'reps' "
                                         "AND type = 'index' ORDER BY name").fetchall()
    assert plan == [("reps_t",), ("reps_t_trend",)]
