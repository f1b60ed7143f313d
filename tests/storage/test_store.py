"""The rep log on real SQLite: round trips, migrations, durability after SIGKILL."""

from __future__ import annotations

import io
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from station.coach.vocabulary import Verdict
from station.storage.replog import DB_NAME, MIGRATIONS, RepLog, StoreError


def test_sets_reps_days_faults_and_csv(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    now = time.time()
    s1 = log.start_set(now - 60, "left")
    log.add_rep(s1, now - 50, 1, "good", [], {"duration_s": 2.5})
    log.add_rep(s1, now - 40, 2, "fault", ["squat", "too_fast"], {"duration_s": 0.8})
    log.end_set(s1, now - 30)
    s2 = log.start_set(now - 20, "right")
    log.add_rep(s2, now - 10, 1, "fault", ["squat"], {"duration_s": 2.0, "max_knee_flexion": 80.0})
    assert [r["rep"] for r in log.reps()] == [1, 2, 1]
    assert log.reps(limit=1)[0]["faults"] == ["squat"]
    sets = log.sets()
    assert [(s["reps"], s["good"], s["facing"]) for s in sets] == [(1, 0, "right"), (2, 1, "left")]
    assert log.fault_counts() == {"squat": 2, "too_fast": 1}
    (span,) = log.trend([(now - 60, now)])  # one span: no day boundary to fall across at midnight
    assert span["reps"] == 3 and span["sets"] == 2 and span["good"] == 1 and span["faults"]["squat"] == 2
    out = io.StringIO()
    assert log.export_csv(out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "time,set_id,rep,verdict,faults,duration_s,max_knee_flexion,fault_names"
    assert lines[2].split(",")[3:5] == ["fault", "squat;too_fast"]


def test_settings_are_versioned_and_accounts_unique(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    assert log.load_settings() is None
    assert log.save_settings({"min_rep_s": 1.0}, by="ann") == 1
    assert log.save_settings({"min_rep_s": 2.0}, by="ann") == 2
    assert log.load_settings() == (2, {"min_rep_s": 2.0})
    log.add_account("ann", "hash")
    with pytest.raises(StoreError, match="exists already"):
        log.add_account("ann", "other")
    assert log.account("ann")["password_hash"] == "hash" and log.account_count() == 1
    log.add_account("bob", "bob")
    log.set_password_hash("ann", "new hash")
    assert log.account("ann")["password_hash"] == "new hash" and log.account("bob")["password_hash"] == "bob"


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
    assert log.damage and "kept as station.db.damaged-" in log.damage
    assert log.reps() == [] and log.integrity() == "ok"
    aside = list(tmp_path.glob(f"{DB_NAME}.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")


def _damage_a_page_of_reps(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    log.add_account("ann", "hash")
    log.save_settings({"min_rep_s": 2.0})
    set_id = log.start_set(1.0)
    for i in range(3000):
        log.add_rep(set_id, 2.0 + i, i, Verdict.GOOD, [], {"depth": 0.5, "note": "x" * 40})
    log.close()  # checkpointed: every page is in the main file
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
    _damage_a_page_of_reps(tmp_path)
    log = RepLog.open(tmp_path)
    assert log.damage and "accounts" in log.damage
    assert log.account("ann") is not None and log.load_settings()[1] == {"min_rep_s": 2.0}
    assert log.reps() == []  # the reps stay in the copy kept aside
    set_id = log.start_set(5.0)
    log.add_rep(set_id, 6.0, 1, Verdict.GOOD, [], {})
    assert len(log.reps()) == 1 and log.check() is None


def test_the_daily_check_swaps_in_a_fresh_log_when_the_open_one_is_damaged(tmp_path) -> None:
    _damage_a_page_of_reps(tmp_path)
    log = RepLog.__new__(RepLog)  # opened before the damage happened: no check at start
    log.path, log.damage, log._lock = tmp_path / DB_NAME, None, threading.Lock()
    log._db = sqlite3.connect(str(log.path), check_same_thread=False, isolation_level=None)
    log._db.row_factory = sqlite3.Row
    with pytest.raises(StoreError):
        log.export_csv(io.StringIO())  # a clear error, never a crash
    assert log.check() and log.damage
    assert log.reps() == [] and log.account("ann") is not None


def test_errors_are_kept_newest_first(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    for i in range(3):
        log.log_error(float(i), "camera", f"trouble {i}")
    assert [e["message"] for e in log.errors(2)] == ["trouble 2", "trouble 1"]


WRITER = """
import sys, time
from station.coach.vocabulary import Verdict
from station.storage.replog import RepLog
log = RepLog(sys.argv[1])
s = log.start_set(time.time())
i = 0
while True:
    i += 1
    log.add_rep(s, time.time(), i, "good", [], {"i": i})
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
        assert log.integrity() == "ok"
        stored = {r["metrics"]["i"] for r in log.reps(limit=10**6) if r["set_id"] == max(
            s["id"] for s in log.sets())}
        assert set(reported) <= stored
        log.close()


def test_after_a_restore_new_reps_never_reuse_an_id_the_replaced_log_held(tmp_path) -> None:
    """Receivers of the MQTT rep events de-duplicate by id: a rep written after a restore must
    not take the id of a rep the replaced log held (and may have published)."""
    log = RepLog.open(tmp_path)
    set_id = log.start_set(1.0)
    for i in range(3):
        log.add_rep(set_id, 2.0 + i, i + 1, Verdict.GOOD, [], {})
    copy = tmp_path / "backup.db"
    source, target = sqlite3.connect(str(tmp_path / DB_NAME)), sqlite3.connect(str(copy))
    source.backup(target)  # what a backup holds: reps 1-3
    source.close()
    target.close()
    for i in range(3, 6):
        log.add_rep(set_id, 2.0 + i, i + 1, Verdict.GOOD, [], {})  # ids 4-6, published since
    log.replace(copy)
    assert sorted(r["id"] for r in log.reps()) == [1, 2, 3]
    new_set = log.start_set(10.0)
    assert log.add_rep(new_set, 11.0, 1, Verdict.GOOD, [], {}) == 7
    log.close()
    assert RepLog.open(tmp_path).add_rep(new_set, 12.0, 2, Verdict.GOOD, [], {}) == 8  # kept on disk


def test_ping_says_false_when_the_file_stops_being_a_database(tmp_path) -> None:
    """The health page asks ping(): a log that no longer reads must answer False, not raise."""
    log = RepLog.open(tmp_path)
    assert log.ping() is True
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 300)
    log._db.close()
    log._db = sqlite3.connect(str(garbage), check_same_thread=False, isolation_level=None)
    assert log.ping() is False
