"""The rep log on real SQLite: round trips, migrations, durability after SIGKILL."""

from __future__ import annotations

import io
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from station.store import DB_NAME, MIGRATIONS, RepLog, StoreError


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
    (today,) = [d for d in log.days() if d["reps"] == 3] or log.days()[:1]
    assert today["good"] == 1 and today["faults"]["squat"] == 2
    out = io.StringIO()
    assert log.export_csv(out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "time,set_id,rep,verdict,faults,duration_s,max_knee_flexion"
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


def test_a_corrupt_file_is_one_clear_error(tmp_path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot use the rep log"):
        RepLog.open(tmp_path)


def test_errors_are_kept_newest_first(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    for i in range(3):
        log.log_error(float(i), "camera", f"trouble {i}")
    assert [e["message"] for e in log.errors(2)] == ["trouble 2", "trouble 1"]


WRITER = """
import sys, time
from station.store import RepLog
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
