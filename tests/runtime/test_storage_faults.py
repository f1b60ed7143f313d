"""Storage faults the station survives (issue 27, items 5, 7 and 9): a full disk, a log whose lock
is held by a stuck write, a data folder deleted or a log replaced while running, leftovers of a
killed backup, the WAL left at exit."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.camera.sources import SimSource
from station.coach.events import RepFinished, SetEnded, SetStarted
from station.coach.vocabulary import Side, Verdict
from station.config.settings import Settings
from station.runtime.rep_recorder import RepRecorder
from station.runtime.station import Station
from station.storage.outbox import Outbox
from station.storage.replog import RepLog
from tests.helpers.engines import free_port


def rep(n: int) -> RepFinished:
    return RepFinished(t=float(n), set_no=1, rep=n, verdict=Verdict.GOOD, faults=(),
                       metrics={"duration_s": 2.0})


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A real tmpfs of ``size`` at ``folder`` (root only; skips where mounting is not allowed)."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte; the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


def recorder_of(store: RepLog, **kwargs) -> tuple[RepRecorder, list[tuple[str, str]], list[dict]]:
    errors: list[tuple[str, str]] = []
    heard: list[dict] = []
    return RepRecorder(store, lambda source, why: errors.append((source, why)), heard.append,
                       **kwargs), errors, heard


def test_reps_made_on_a_full_disk_wait_and_are_stored_when_space_returns(tmp_path: Path) -> None:
    with small_disk(tmp_path / "card") as card:
        store = RepLog.open(card / "data")
        recorder, errors, heard = recorder_of(store)
        recorder.record(SetStarted(t=0.0, set_no=1, facing=Side.LEFT))
        recorder.record(rep(1))
        filler = fill(card)
        messages = [recorder.record(rep(n)) for n in (2, 3, 4)]
        recorder.record(SetEnded(t=9.0, set_no=1, reps=4, good=4))
        assert [m.get("id") for m in messages] == [None] * 3 and recorder.failed
        assert recorder.waiting_reps == 3 and errors and "full" in errors[0][1]
        recorder.tick(1e12)  # still full: they keep waiting
        assert recorder.waiting_reps == 3
        filler.unlink()  # space returns
        recorder.tick(1e12)
        assert recorder.waiting_reps == 0 and not recorder.failed
        sets = store.reps.sets()
        assert len(sets) == 1 and sets[0]["reps"] == 4 and sets[0]["t_end"] is not None
        assert [h["rep"] for h in heard] == [1, 2, 3, 4] and len({h["id"] for h in heard}) == 4
        assert store.db.integrity() == "ok"
        store.close()


def test_a_log_at_its_size_limit_keeps_reps_in_memory_bounded(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (PRAGMA max_page_count), for machines that cannot mount."""
    store = RepLog.open(tmp_path)
    recorder, errors, _ = recorder_of(store, max_waiting=5)
    pages = store.db.read("PRAGMA page_count")[0][0]
    store.db.write(f"PRAGMA max_page_count = {pages}")
    recorder.record(SetStarted(t=0.0, set_no=1, facing=Side.LEFT))
    for n in range(1, 200):
        recorder.record(rep(n))
        if recorder.not_kept == 2:
            break
    stored = len(store.reps.newest_first(limit=1000))
    assert recorder.waiting_reps == 5 and recorder.not_kept == 2
    assert any("not kept" in why for _, why in errors)
    store.db.write("PRAGMA max_page_count = 1000000")
    recorder.record(rep(300))  # the next event writes what waited first, then itself
    assert recorder.waiting_reps == 0
    assert len(store.reps.newest_first(limit=1000)) == stored + 5 + 1
    store.close()


def test_health_never_waits_on_the_logs_lock_and_says_busy(tmp_path: Path) -> None:
    station = Station(Settings(), SimSource(fast=True), data_dir=tmp_path, demo=True)
    station.storage_watch.busy_after_s = 0.0
    station.storage_watch.look()
    answers: list[dict] = []
    with station.store.db.write_lock:  # a write stuck on a frozen card holds it
        asker = threading.Thread(target=lambda: answers.append(station.health()), daemon=True)
        asker.start()
        asker.join(30)  # a hang guard, not a speed figure: the old health waited here for ever
        assert answers, "health waited on the rep log's lock"
    assert answers[0]["storage_busy"].startswith("storage busy since")
    assert answers[0]["status"] == "degraded"
    station.storage_watch.busy_after_s = 5.0
    assert station.health()["storage_busy"] is None
    station.stop()
    station.store.close()


def test_a_page_read_gives_up_on_a_stuck_lock_with_a_store_error(tmp_path: Path, monkeypatch) -> None:
    from station.storage import StoreError, database

    monkeypatch.setattr(database, "READ_WAIT_S", 0.2)
    store = RepLog.open(tmp_path)
    with store.db.write_lock, pytest.raises(StoreError, match="storage busy"):  # the app answers 503
        store.reps.newest_first()
    assert store.reps.newest_first() == []
    store.close()


def test_a_deleted_data_folder_is_noticed_and_the_log_put_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = RepLog.open(data)
    store.accounts.add("alex", "a-long-password-1")
    set_id = store.reps.start_set(1.0, Side.LEFT)
    first = store.reps.add(set_id, 2.0, 1, Verdict.GOOD, [], {})
    outbox = Outbox(store.path, "mqtt")
    assert outbox.waiting(0) == 1
    shutil.rmtree(data)  # the folder, its log, -wal and -shm: gone while the station runs
    second = store.reps.add(set_id, 3.0, 2, Verdict.GOOD, [], {})
    assert second > first and "deleted" in (store.db.file_problem or "")
    assert (data / "station.db").exists()
    assert [r["id"] for r in outbox.after(0)] == [first, second]  # the reader follows the put-back log
    outbox.close()
    store.close()
    again = RepLog.open(data)  # after a restart: nothing lost
    assert len(again.reps.newest_first()) == 2 and again.accounts.get("alex") is not None
    assert again.db.integrity() == "ok"
    again.close()


def test_a_log_replaced_while_running_is_put_back_and_the_other_file_kept_aside(tmp_path: Path) -> None:
    store = RepLog.open(tmp_path)
    set_id = store.reps.start_set(1.0, Side.LEFT)
    store.reps.add(set_id, 2.0, 1, Verdict.GOOD, [], {})
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE planted (x)")
        db.commit()
    os.replace(other, tmp_path / "station.db")
    assert store.db.check_file() is not None  # the storage watch's look notices it without a write
    assert "replaced" in (store.db.file_problem or "")
    store.reps.add(set_id, 3.0, 2, Verdict.GOOD, [], {})
    assert len(store.reps.newest_first()) == 2
    aside = list(tmp_path.glob("station.db.foreign-*"))
    assert len(aside) == 1
    with contextlib.closing(sqlite3.connect(aside[0])) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("planted",)]
    store.close()


def test_leftovers_of_a_killed_backup_and_restore_are_removed_at_start(tmp_path: Path) -> None:
    running = RepLog.open(tmp_path)  # a station runs on the folder
    (tmp_path / ".backup-k1ll3d").mkdir()
    (tmp_path / ".backup-k1ll3d" / "station.db").write_bytes(b"\0" * 65536)
    (tmp_path / "station.db.restoring").write_bytes(b"half a log")
    (tmp_path / ".bringup.abc123.tmp").write_text("{")
    probe = subprocess.run([sys.executable, "-c", "import pathlib, sys; from station.storage.replog import "
                            "RepLog; RepLog.open(pathlib.Path(sys.argv[1])).close()", str(tmp_path)],
                           capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr  # a second process on the folder touches nothing
    assert (tmp_path / "station.db.restoring").exists() and (tmp_path / ".backup-k1ll3d").exists()
    running.close()
    store = RepLog.open(tmp_path)  # the station's next start: they go
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("station.db"))
    assert left == [".station.lock"] and not (tmp_path / "station.db.restoring").exists()
    store.close()


def test_a_stopped_station_leaves_no_wal_beside_the_log(tmp_path: Path) -> None:
    port = free_port()  # for its web pages (their kept sets' connection)
    run = subprocess.Popen([sys.executable, "-m", "station.cli.main", "run", "--sim", "--fast", "--port",
                            str(port), "--data", str(tmp_path), "--mqtt", "mqtt://127.0.0.1:9"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None and "Hinge Station on" in run.stdout.readline()
        store = RepLog(tmp_path / "station.db")  # wait for a rep, so the WAL has rows in it
        for _ in range(600):
            if store.reps.newest_first(limit=1):
                break
            threading.Event().wait(0.1)
        store.close()
        run.send_signal(signal.SIGINT)
        assert run.wait(60) == 0
    finally:
        if run.poll() is None:
            run.kill()
    assert "reps in the log" in (run.stderr.read() if run.stderr else "")
    assert sorted(p.name for p in tmp_path.glob("station.db*")) == ["station.db"]
