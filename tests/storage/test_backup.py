"""Backup and restore on a real station: the snapshot while the loop writes, a restore's round trip
(reps, settings, accounts) with the loop still writing, every refusal leaving the data as it was,
and the web routes (staff only, CSRF, no-store, the body cap on the real server)."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import sqlite3  # raw SQL here checks the rep log from outside: what is on disk, or damage made to it
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from station.storage import backup
from station.storage.schema import MIGRATIONS
from station.web import auth, create_app
from tests.helpers.accounts import PASSWORD, csrf_token


def wait_for(check, timeout: float = 20.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def rep_count(store) -> int:
    return len(store.reps.newest_first(limit=10**9))


def make_backup(station) -> bytes:
    out = io.BytesIO()
    backup.write(station.store, station.settings, out, station.data_dir)
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def ids_in(data: bytes) -> set[int]:
    """The rep ids in a backup's station.db."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.db"
        path.write_bytes(members(data)["station.db"])
        db = sqlite3.connect(str(path))
        try:
            return {row[0] for row in db.execute("SELECT id FROM reps")}
        finally:
            db.close()


def repack(data: bytes, *, fix_hashes: bool = True, manifest: dict | None = None, **files: bytes) -> bytes:
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
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def edit_db(data: bytes, tmp_path: Path, *statements: str) -> bytes:
    """The backup's station.db with ``statements`` run on it."""
    path = tmp_path / "edit.db"
    path.write_bytes(members(data)["station.db"])
    db = sqlite3.connect(str(path), isolation_level=None)
    for s in statements:
        db.execute(s)
    db.close()
    return path.read_bytes()


# ---------------------------------------------------------------- backup while the loop writes
def test_backup_while_the_loop_writes_is_a_whole_snapshot(make_sim_station, tmp_path) -> None:
    station = make_sim_station()
    station.store.accounts.add("ann", auth.hash_password(PASSWORD))
    station.start()
    wait_for(lambda: rep_count(station.store) >= 5, what="five reps")
    before = rep_count(station.store)
    data = make_backup(station)
    parts = members(data)
    assert set(parts) == {"manifest.json", "station.db", "settings.json"}
    manifest = json.loads(parts["manifest.json"])
    assert manifest["format"] == "hinge-station-backup" and manifest["schema_version"] == len(MIGRATIONS)
    for name in ("station.db", "settings.json"):
        assert manifest["files"][name]["sha256"] == hashlib.sha256(parts[name]).hexdigest()
    snap = tmp_path / "snap.db"
    snap.write_bytes(parts["station.db"])
    db = sqlite3.connect(str(snap))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    in_snapshot = db.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    orphans = db.execute("SELECT COUNT(*) FROM reps WHERE set_id NOT IN (SELECT id FROM sets)").fetchone()[0]
    assert db.execute("SELECT name FROM accounts").fetchall() == [("ann",)]
    db.close()
    assert in_snapshot >= before and orphans == 0
    assert json.loads(parts["settings.json"])["min_rep_s"] == station.settings.min_rep_s
    wait_for(lambda: rep_count(station.store) > in_snapshot, what="the loop writing on")
    assert not list(station.data_dir.glob(".backup-*"))  # the snapshot's folder is gone


# ---------------------------------------------------------------- restore round trip
def test_restore_brings_back_reps_settings_and_accounts_while_the_loop_writes(make_sim_station) -> None:
    station = make_sim_station()
    station.store.accounts.add("ann", auth.hash_password(PASSWORD))
    station.apply_settings({"min_rep_s": 1.1})
    station.start()
    wait_for(lambda: rep_count(station.store) >= 3, what="three reps")
    data = make_backup(station)
    snapshot_ids = ids_in(data)  # from the snapshot itself: a rep's time is not when it was written
    assert len(snapshot_ids) >= 3

    station.apply_settings({"min_rep_s": 1.4})
    station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    station.store.accounts.remove("ann")
    wait_for(lambda: rep_count(station.store) >= len(snapshot_ids) + 4, what="more reps")

    checked = backup.check(io.BytesIO(data), Path(str(station.store.path)))
    assert checked.accounts == ["ann"] and checked.reps == len(snapshot_ids)
    aside = station.restore(checked, by="test")
    assert aside.exists() and not checked.db.exists()
    assert station.settings.min_rep_s == 1.1 and station.store.saved_settings.newest()[1]["min_rep_s"] == 1.1
    assert station.store.accounts.names() == ["ann"]
    restored = {r["id"] for r in station.store.reps.newest_first(limit=10**9)}
    assert snapshot_ids <= restored
    # The loop goes on writing into the restored log, in sets that exist there (no lost rep).
    wait_for(lambda: rep_count(station.store) >= checked.reps + 2, what="reps after the restore")
    assert station.recorder.failing is None and station.store.db.integrity() == "ok"
    newest = station.store.reps.newest_first(limit=1)[0]
    assert newest["set_id"] in {s["id"] for s in station.store.reps.sets(limit=10**6)}


def test_an_older_schema_is_migrated_on_restore(make_sim_station, tmp_path) -> None:
    station = make_sim_station()
    station.store.accounts.add("ann", auth.hash_password(PASSWORD))
    data = make_backup(station)
    old = edit_db(data, tmp_path, "DROP TABLE outbox", "DROP INDEX reps_t_trend", "DROP TABLE rep_labels",
                  "DROP TABLE count_labels", "DROP TABLE kept_sets",
                  "PRAGMA user_version=2")  # as a V2 log was: no V3-V5 (nor V8)
    checked = backup.check(io.BytesIO(repack(data, station_db=old, manifest={"schema_version": 2})),
                           Path(str(station.store.path)))
    station.restore(checked)
    db = sqlite3.connect(str(station.store.path))
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0  # V3's table is back
    db.close()


# ---------------------------------------------------------------- refusals change nothing
def state(station) -> tuple:
    path = Path(str(station.store.path))
    return (path.stat().st_ino, station.store.reps.newest_first(limit=10**9), station.store.accounts.names(),
            station.store.saved_settings.newest(), station.settings)


@pytest.fixture
def stocked(make_sim_station):
    """A station (loop not started) with a set of two reps, an account and a saved setting; a good
    backup of it, then one more rep and another setting, so a restore would change both."""
    from station.coach.vocabulary import Verdict

    station = make_sim_station()
    store = station.store
    store.accounts.add("ann", auth.hash_password(PASSWORD))
    set_id = store.reps.start_set(1.0)
    for i in range(2):
        store.reps.add(set_id, 2.0 + i, i + 1, Verdict.GOOD, [], {"duration_s": 2.0})
    station.apply_settings({"min_rep_s": 1.1})
    data = make_backup(station)
    store.reps.add(set_id, 9.0, 3, Verdict.GOOD, [], {"duration_s": 2.0})
    station.apply_settings({"min_rep_s": 1.3})
    return station, data


REFUSALS = {
    "not a zip": (lambda d, t: b"PK\x03\x04 this is no zip at all", "not a zip file"),
    "a text file": (lambda d, t: b"hello", "not a zip file"),
    "bad hash": (lambda d, t: repack(d, fix_hashes=False, settings_json=b'{"min_rep_s": 1.2}'),
                 "settings.json does not match the sha256"),
    "db changed": (lambda d, t: repack(d, fix_hashes=False, station_db=edit_db(d, t, "DELETE FROM reps")),
                   "station.db does not match the sha256"),
    "corrupt db": (lambda d, t: repack(d, station_db=corrupt(members(d)["station.db"])), "station.db is"),
    "newer schema": (lambda d, t: repack(d, station_db=edit_db(d, t, "PRAGMA user_version=99"),
                                         manifest={"schema_version": 99}), "written by a newer station"),
    "bad settings": (lambda d, t: repack(d, settings_json=b'{"min_rep_s": "soon"}'),
                     "settings.json has settings this station refuses (min_rep_s"),
    "no accounts": (lambda d, t: repack(d, station_db=edit_db(d, t, "DELETE FROM accounts")),
                    "no staff accounts"),
    "extra member": (lambda d, t: repack(d, **{"..%2Fevil": b"x"}), "files a backup never has"),
    "not a backup zip": (lambda d, t: zip_of({"notes.txt": b"hi"}), "it has no manifest.json"),
}


def corrupt(db: bytes) -> bytes:
    """The log with its second page (the first table's) overwritten by noise."""
    page = int.from_bytes(db[16:18], "big")
    page = 65536 if page == 1 else page
    return db[:page] + bytes((i * 37) % 251 for i in range(page)) + db[2 * page:]


def zip_of(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_backup_is_refused_by_name_and_changes_nothing(stocked, tmp_path, case) -> None:
    station, good = stocked
    spoil, says = REFUSALS[case]
    before = state(station)
    with pytest.raises(backup.BackupError, match=None) as refused:
        backup.check(io.BytesIO(spoil(good, tmp_path)), Path(str(station.store.path)))
    assert says in str(refused.value)
    assert state(station) == before
    assert not list(station.data_dir.glob("*.restoring"))  # nothing left behind


def test_a_zip_bomb_stops_at_the_cap(stocked, monkeypatch) -> None:
    station, good = stocked
    monkeypatch.setattr(backup, "MAX_DB_BYTES", 4096)  # the real cap is 512 MiB: same code path
    with pytest.raises(backup.BackupError, match="unpacks to more than"):
        backup.check(io.BytesIO(good), Path(str(station.store.path)))


# ---------------------------------------------------------------- through the web
def test_download_and_restore_through_the_staff_routes(stocked) -> None:
    station, _ = stocked
    app = create_app(station)
    ann = app.test_client()
    ann.post("/staff/signin", data={"csrf_token": csrf_token(ann, "/staff/signin"), "name": "ann",
                                    "password": PASSWORD})
    assert app.test_client().get("/staff/backup").status_code == 302  # staff only
    r = ann.get("/staff/backup")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert r.headers["Cache-Control"] == "no-store" and "attachment" in r.headers["Content-Disposition"]
    data = r.get_data()
    station.apply_settings({"min_rep_s": 1.6, "pose_model": "full_int8"})
    station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    token = csrf_token(ann, "/staff/health")
    upload = {"csrf_token": token, "backup": (io.BytesIO(b"not a zip"), "backup.zip")}
    refused = ann.post("/staff/restore", data=upload, content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Not restored: nothing was changed: not a zip file" in html
    assert 'aria-invalid="true"' in html and station.settings.min_rep_s == 1.6
    no_token = ann.post("/staff/restore", data={"backup": (io.BytesIO(data), "b.zip")},
                        content_type="multipart/form-data")
    assert no_token.status_code == 403 and station.settings.min_rep_s == 1.6
    done = ann.post("/staff/restore", data={"csrf_token": token, "backup": (io.BytesIO(data), "b.zip")},
                    content_type="multipart/form-data")
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/signin")
    assert station.settings.min_rep_s == 1.3 and station.store.accounts.names() == ["ann"]
    page = ann.get("/staff/signin").get_data(as_text=True)
    assert "Every sign-in has ended: sign in with an account from the backup (ann)" in page
    assert "These restored settings take effect after a restart: pose model." in page
    assert ann.get("/staff/settings").status_code == 302  # this browser was signed out too
    ann.post("/staff/signin", data={"csrf_token": csrf_token(ann, "/staff/signin"), "name": "ann",
                                    "password": PASSWORD})
    assert ann.get("/staff/settings").status_code == 200


def test_only_the_restore_route_takes_a_large_body(stocked, serve) -> None:
    station, _ = stocked
    port = serve(station).port

    def post(path: str, length: int, body: bool) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        if body:
            conn.send(b"x" * length)
        status = conn.getresponse().status
        conn.close()
        return status

    assert post("/staff/settings/import", 1_000_000, body=False) == 413  # refused unread
    assert post("/staff/restore", 300 * 2**20, body=False) == 413  # over the restore cap
    assert post("/staff/restore", 1_000_000, body=True) == 403  # read; then no CSRF token


# ---------------------------------------------------------------- the swap under the loop's writers
def test_a_set_begun_before_a_restore_goes_on_in_the_restored_log(tmp_path) -> None:
    from station.coach.events import RepFinished, SetEnded, SetStarted
    from station.coach.vocabulary import Side, Verdict
    from station.config.settings import Settings
    from station.runtime.rep_recorder import RepRecorder
    from station.storage.outbox import Outbox
    from station.storage.replog import RepLog

    other = RepLog.open(tmp_path / "other")  # the backup's log: one account, 5 sets, no reps
    other.accounts.add("ann", auth.hash_password(PASSWORD))
    for _ in range(5):
        other.reps.start_set(1.0)
    out = io.BytesIO()
    backup.write(other, Settings(), out, tmp_path)
    other.close()

    store = RepLog.open(tmp_path / "data")
    outbox = Outbox(store.path, "mqtt")
    errors: list[tuple[str, str]] = []
    recorder = RepRecorder(store, lambda source, message: errors.append((source, message)))
    recorder.record(SetStarted(t=1.0, set_no=1, facing=Side.LEFT))
    recorder.record(RepFinished(t=2.0, set_no=1, rep=1, verdict=Verdict.GOOD, faults=(), metrics={}))
    assert outbox.newest() == 1
    store.db.replace(backup.check(io.BytesIO(out.getvalue()), Path(str(store.path))).db)

    rep = recorder.record(RepFinished(t=3.0, set_no=1, rep=2, verdict=Verdict.GOOD, faults=(), metrics={}))
    recorder.record(SetEnded(t=4.0, set_no=1, reps=2, good=2))
    assert errors == [] and recorder.failing is None  # kept, not reported as a failed write
    sets = store.reps.sets(limit=100)
    assert len(sets) == 6 and sets[0]["reps"] == 1 and sets[0]["t_end"] is not None  # a new set
    assert [r["id"] for r in store.reps.newest_first()] == [rep["id"]]
    assert all(s["t_end"] is None for s in sets[1:])  # the backup's own sets were left alone
    assert outbox.newest() == rep["id"]  # the publisher's reader follows the swap to the new log
    assert (tmp_path / "data" / "station.db.before-restore").exists()
    outbox.close()
    store.close()
