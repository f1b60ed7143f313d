"""Backup and restore on a real station: the snapshot while the loop writes, a restore's round trip
(reps, settings, accounts) with the loop still writing, every refusal leaving the data as it was,
and the web routes (staff only, CSRF, no-store, the body cap on the real server)."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import re
import shutil
import sqlite3  # raw SQL here checks the rep log from outside: what is on disk, or damage made to it
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from station.storage import backup
from station.storage.schema import MIGRATIONS
from station.web import auth, create_app
from tests.helpers.accounts import PASSWORD, csrf_token, sign_in
from tests.helpers.backups import MALLORY, RECURSIVE_REPS, edit_db, members, repack, zip_of


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
    # A backup carries data, never code (issue 27): each of these restored before.
    "trigger adding an account": (lambda d, t: repack(d, station_db=edit_db(d, t, MALLORY)),
                                  "holds trigger 'mallory'"),
    "trigger stopping reps": (lambda d, t: repack(d, station_db=edit_db(
        d, t, "CREATE TRIGGER no_reps BEFORE INSERT ON reps BEGIN SELECT RAISE(ABORT, 'no'); END")),
        "holds trigger 'no_reps'"),
    "a view": (lambda d, t: repack(d, station_db=edit_db(d, t, "CREATE VIEW v AS SELECT * FROM reps")),
               "holds view 'v'"),
    "reps as a recursive view": (lambda d, t: repack(d, station_db=edit_db(d, t, *RECURSIVE_REPS)),
                                 "holds view 'reps'"),
    "unknown table": (lambda d, t: repack(d, station_db=edit_db(d, t, "CREATE TABLE notes (x)")),
                      "holds table 'notes'"),
    "unknown column": (lambda d, t: repack(d, station_db=edit_db(d, t, "ALTER TABLE reps ADD COLUMN x")),
                       "table reps has columns a station's log never has (x)"),
    "generated column": (lambda d, t: repack(d, station_db=edit_db(
        d, t, "ALTER TABLE sets ADD COLUMN g INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL")),
        "table sets has columns a station's log never has (g)"),
    "text where a time goes": (lambda d, t: repack(d, station_db=edit_db(d, t, "UPDATE reps SET t = 'soon'")),
                               "table reps: t holds text where a station writes REAL"),
    "a rep id near 2^63": (lambda d, t: repack(d, station_db=edit_db(
        d, t, "UPDATE reps SET id = 9223372036854775807 WHERE id = 2")),
        "table reps holds a number beyond 2^53"),
    "a rep of no set": (lambda d, t: repack(d, station_db=edit_db(d, t, "UPDATE reps SET set_id = 99")),
                        "rows that refer to rows it does not hold (the first: reps row 1"),
    "a verdict no station writes": (lambda d, t: repack(d, station_db=edit_db(
        d, t, "PRAGMA ignore_check_constraints=ON", "UPDATE reps SET verdict = 'meh'")),
        "table reps has rows a station's log refuses (CHECK"),
    "nobody can sign in": (lambda d, t: repack(d, station_db=edit_db(
        d, t, "UPDATE accounts SET password_hash = '!'")), "leave nobody able to sign in"),
    "corrupt deflate data": (lambda d, t: spoil_deflate(d), "station.db cannot be read from the zip"),
    "an encrypted member": (lambda d, t: encrypted(repack(d)), "manifest.json cannot be read from the zip "
                                                             "(it is encrypted"),
}



def spoil_deflate(data: bytes) -> bytes:
    """The backup zipped with deflate, station.db's compressed bytes then overwritten (the
    manifest's hashes still match what the file held)."""
    parts = members(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
        info = z.getinfo("station.db")
    raw = bytearray(out.getvalue())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 8
    raw[start:start + 64] = bytes((i * 89 + 7) % 256 for i in range(64))
    return bytes(raw)


def encrypted(data: bytes) -> bytes:
    """The zip with each member flagged as password-protected in its central directory."""
    raw = bytearray(data)
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        raw[at + 8] |= 0x01
        at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


def corrupt(db: bytes) -> bytes:
    """The log with its second page (the first table's) overwritten by noise."""
    page = int.from_bytes(db[16:18], "big")
    page = 65536 if page == 1 else page
    return db[:page] + bytes((i * 37) % 251 for i in range(page)) + db[2 * page:]


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_backup_is_refused_by_name_and_changes_nothing(stocked, tmp_path, case) -> None:
    station, good = stocked
    spoil, says = REFUSALS[case]
    before = state(station)
    with pytest.raises(backup.BackupError, match=None) as refused:
        backup.check(io.BytesIO(spoil(good, tmp_path)), Path(str(station.store.path)),
                     can_sign_in=auth.can_check)
    assert says in str(refused.value)
    assert state(station) == before
    assert not list(station.data_dir.glob("*.restoring"))  # nothing left behind
    assert not list(station.data_dir.glob("*.uploaded"))


def test_a_zip_bomb_stops_at_the_cap(stocked, monkeypatch) -> None:
    station, good = stocked
    monkeypatch.setattr(backup, "MAX_DB_BYTES", 4096)  # the real cap is 512 MiB: same code path
    with pytest.raises(backup.BackupError, match="unpacks to more than"):
        backup.check(io.BytesIO(good), Path(str(station.store.path)))


def test_a_check_that_takes_too_long_is_stopped_and_leaves_nothing(stocked, monkeypatch) -> None:
    station, good = stocked
    monkeypatch.setattr(backup, "CHECK_DEADLINE_S", 0.0)  # the real one is 60 s + 2 s a MiB: same path
    monkeypatch.setattr(backup, "CHECK_S_PER_MIB", 0.0)
    with pytest.raises(backup.BackupError, match="took longer than 0 s"):
        backup.check(io.BytesIO(good), Path(str(station.store.path)))
    assert not list(station.data_dir.glob("station.db.*"))


def test_a_restored_log_has_this_stations_schema_only(stocked, tmp_path) -> None:
    """An index of the upload's own is left behind, its rows are copied, nothing else comes; an
    upload in WAL mode leaves no -wal or -shm beside the log."""
    station, good = stocked
    data = repack(good, station_db=edit_db(good, tmp_path, "CREATE INDEX mine ON reps(rep)",
                                            "PRAGMA journal_mode=WAL"))
    checked = backup.check(io.BytesIO(data), Path(str(station.store.path)))
    assert not list(station.data_dir.glob("*.uploaded*"))
    station.restore(checked)
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    from station.storage.schema import migrate
    migrate(fresh, ":memory:")
    own = sorted(fresh.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    db = sqlite3.connect(str(station.store.path))
    assert sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()) == own
    assert [r[0] for r in db.execute("SELECT id FROM reps ORDER BY id")] == [1, 2]
    db.close()


# ---------------------------------------------------------------- through the web
def signed_in(app):
    ann = app.test_client()
    sign_in(ann, "ann")
    return ann


def upload(client, token: str | None, body: bytes):
    headers = {"X-CSRF-Token": token} if token else {}
    return client.post("/staff/restore", data=body, content_type="application/zip", headers=headers)


def test_download_and_restore_through_the_staff_routes(stocked) -> None:
    station, _ = stocked
    app = create_app(station)
    ann = signed_in(app)
    assert app.test_client().get("/staff/backup").status_code == 302  # staff only
    r = ann.get("/staff/backup")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert r.headers["Cache-Control"] == "no-store" and "attachment" in r.headers["Content-Disposition"]
    data = r.get_data()
    station.apply_settings({"min_rep_s": 1.6, "pose_model": "full_int8"})
    station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    station.store.reps.add(station.store.reps.start_set(20.0), 21.0, 1, "good", [], {})
    token = csrf_token(ann, "/staff/settings")
    refused = upload(ann, token, b"not a zip")
    assert refused.status_code == 422 and "nothing was changed: not a zip file" in refused.get_json()["error"]
    assert station.settings.min_rep_s == 1.6
    # The token only as a form field is not enough: a restore's body is never parsed as a form.
    as_form = ann.post("/staff/restore", data={"csrf_token": token, "backup": (io.BytesIO(data), "b.zip")},
                       content_type="multipart/form-data")
    assert as_form.status_code == 403 and station.settings.min_rep_s == 1.6

    # Step one checks and names what would be replaced; nothing changes yet.
    checked = upload(ann, token, data)
    assert checked.status_code == 200, checked.get_data(as_text=True)
    confirm_url = checked.get_json()["confirm"]
    page = ann.get(confirm_url).get_data(as_text=True)
    assert ("This replaces 4 reps and 2 staff accounts with 3 reps and 1 staff account; everyone will be "
            "signed out.") in page
    assert station.settings.min_rep_s == 1.6 and station.store.accounts.names() == ["ann", "bob"]
    assert (station.data_dir / "station.db.restoring").exists()
    pending = re.search(r'name="token" value="([^"]+)"', page).group(1)

    # Cancel throws the checked upload away.
    ann.post("/staff/restore/cancel", data={"csrf_token": token, "token": pending})
    assert not (station.data_dir / "station.db.restoring").exists()
    gone = ann.post("/staff/restore/confirm", data={"csrf_token": token, "token": pending})
    assert gone.status_code == 302 and station.store.accounts.names() == ["ann", "bob"]

    again = ann.get(upload(ann, token, data).get_json()["confirm"]).get_data(as_text=True)
    pending = re.search(r'name="token" value="([^"]+)"', again).group(1)
    done = ann.post("/staff/restore/confirm", data={"csrf_token": token, "token": pending})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/signin")
    assert station.settings.min_rep_s == 1.3 and station.store.accounts.names() == ["ann"]
    page = ann.get("/staff/signin").get_data(as_text=True)
    assert "Every sign-in has ended: sign in with an account from the backup (ann)" in page
    assert "These restored settings take effect after a restart: pose model." in page
    assert ann.get("/staff/settings").status_code == 302  # this browser was signed out too
    assert not (station.data_dir / "station.db.restoring").exists()
    signed_in(app)
    assert signed_in(app).get("/staff/settings").status_code == 200


def test_a_damaged_archive_or_a_vanished_folder_is_answered_without_a_500(stocked, tmp_path) -> None:
    station, good = stocked
    app = create_app(station)
    ann = signed_in(app)
    token = csrf_token(ann, "/staff/settings")
    for spoiled in (spoil_deflate(good), encrypted(good)):
        r = upload(ann, token, spoiled)
        assert r.status_code == 422 and "cannot be read from the zip" in r.get_json()["error"]
    shutil.rmtree(station.data_dir)
    r = ann.get("/staff/backup")
    assert r.status_code == 503 and "rep log" in r.get_data(as_text=True)


def test_the_restore_body_is_read_only_for_a_verified_staff_request(stocked, serve) -> None:
    """The server answers an anonymous (or tokenless) restore from its headers, before reading
    any of the body: a 1 MB body the client never sends still gets its 403."""
    station, good = stocked
    served = serve(station)
    port, app = served.port, served.app
    ann = signed_in(app)
    token = csrf_token(ann, "/staff/settings")
    cookie = ann.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    def post(path: str, length: int, body: bytes | None, **headers: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/zip")
        conn.putheader("Content-Length", str(length))
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        conn.endheaders()
        if body is not None:
            conn.send(body)
        status = conn.getresponse().status
        conn.close()
        return status

    assert post("/staff/settings/import", 1_000_000, None) == 413  # refused unread
    assert post("/staff/restore", 1_000_000, None) == 403  # anonymous: refused unread
    assert post("/staff/restore", 1_000_000, None, Cookie=f"session={cookie}") == 403  # no token
    assert post("/staff/restore", 1_000_000, None, Cookie=f"session={cookie}", X_CSRF_Token="wrong") == 403
    assert post("/staff/restore", 1_000_000, None, Cookie=f"session={cookie}x", X_CSRF_Token=token) == 403
    staff = {"Cookie": f"session={cookie}", "X_CSRF_Token": token}
    assert post("/staff/restore", 300 * 2**20, None, **staff) == 413  # over the restore cap
    assert post("/staff/restore", len(good), good, **staff) == 200  # staff: read and checked


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


def test_a_checked_upload_waits_once_and_is_deleted_when_it_expires(stocked) -> None:
    from station.web.staff import backup_restore

    station, good = stocked
    waiting = backup_restore.Waiting()
    first = waiting.put(backup.check(io.BytesIO(good), Path(str(station.store.path))), "ann")
    assert waiting.get(first.token) is first and waiting.get("another token") is None
    second = waiting.put(backup.check(io.BytesIO(good), Path(str(station.store.path))), "ann")
    assert second.checked.db.exists()  # the same file as the first's: not deleted with it
    assert waiting.get(first.token) is None  # a newer upload replaced it
    second.expires = 0.0  # as it is PENDING_S after the check
    assert waiting.get(second.token) is None  # expired: the file goes with it
    assert not second.checked.db.exists() and waiting.take(second.token) is None
