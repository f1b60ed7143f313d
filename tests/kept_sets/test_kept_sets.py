"""Kept sets on real SQLite and a real demo station: off by default, the migration, the frame cap,
retention, a crash, staff's labels through the web app (CSRF, staff only), and the round trip a gym
makes: keep a set of the simulated trainee, label it, export it, ``station evaluate`` the zip."""

from __future__ import annotations

import io
import json
import re
import signal
import sqlite3  # raw SQL here checks the rep log from outside: what is on disk, or damage made to it
import subprocess
import sys
import time
import zipfile

import pytest

from station.cli.main import main
from station.coach.events import RepFinished, RepStarted, SetEnded, SetStarted
from station.coach.vocabulary import FaultCode, Side, Verdict
from station.config.settings import Settings
from station.kept_sets.keeper import PREROLL_S, SetKeeper
from station.sim import Body
from station.storage.database import DB_NAME
from station.storage.kept_sets import KeptSets, LabelProblem
from station.storage.replog import RepLog
from station.storage.schema import MIGRATIONS, V1, V2, V3
from station.web import create_app
from tests.helpers.accounts import create_account, csrf_token
from tests.helpers.kept import PLAN, kept_station


def errors(station) -> list[str]:
    return [e["message"] for e in station.errors.recent()]


# ---------------------------------------------------------------- the store and the keeper
def test_the_schema_migrates_from_v3_keeping_every_rep(tmp_path) -> None:
    path = tmp_path / DB_NAME
    db = sqlite3.connect(path)
    for statement in V1 + V2 + V3:
        db.execute(statement)
    db.execute("INSERT INTO sets (id, t_start, facing) VALUES (7, 100.0, 'left')")
    db.execute("INSERT INTO reps (set_id, t, rep, verdict, faults, metrics) "
               "VALUES (7, 101.0, 1, 'good', '[]', '{}')")
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    log = RepLog(path)
    assert len(MIGRATIONS) >= 5  # V5 the kept sets
    assert log.reps.newest_first()[0]["set_id"] == 7
    kept = KeptSets(path)
    kept.save(7, 100.0, ['{"t":0.0}', '{"t":2.0}'], [(1, 0.5, 1.5)], False)
    assert kept.get(7)["reps"][0]["verdict"] == "good" and kept.get(7)["facing"] == "left"
    assert kept.get(7)["duration_s"] == 2.0 and kept.count() == 1
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_keeping_is_off_by_default_and_then_writes_nothing(make_sim_station) -> None:
    assert Settings().keep_sets is False and Settings().keep_sets_days == 30
    station = kept_station(make_sim_station, Settings())
    reps = station.store.reps
    assert len(reps.sets()) == 1 and len(reps.newest_first()) == 3  # the set was coached
    kept = KeptSets(station.store.path)
    assert kept.count() == 0 and station.keeper.buffered == 0
    assert sqlite3.connect(station.store.path).execute("SELECT COUNT(*) FROM kept_sets").fetchone()[0] == 0


def test_a_kept_set_holds_its_run_up_its_frames_and_its_reps_times(make_sim_station) -> None:
    station = kept_station(make_sim_station)
    kept = KeptSets(station.store.path)
    (row,) = kept.page()
    assert (row["reps"], row["good"], row["fault"], row["labelled"]) == (3, 2, 1, 0)
    one = kept.get(row["set_id"])
    lines = kept.lines(row["set_id"])
    assert len(lines) == one["frames"] > 100
    frames = [json.loads(line) for line in lines]
    first, last = frames[0], frames[-1]
    seen = next(f for f in frames if f["landmarks"])
    assert first["t"] == 0.0 and "left_hip" in seen["landmarks"] and seen["dowel"]
    assert all(set(f) <= {"t", "size", "landmarks", "wall_contact", "dowel"} for f in frames)  # no pixels
    reps = one["reps"]
    assert [r["faults"] for r in reps] == [[], ["squat"], []]
    # The set started after the run-up (some of the approach); the reps lie inside the stream.
    assert 0 < reps[0]["start"] < reps[0]["end"] < reps[1]["start"] < reps[2]["end"] <= last["t"]
    assert reps[0]["start"] <= PREROLL_S + 3


def _pose():
    """A real pose of the simulated trainee, standing."""
    from station.sim import Trainee

    return next(Trainee(Body(), PLAN, seed=1).frames()).pose


def test_frames_are_capped_and_reps_after_the_cap_are_left_out(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    set_id = log.reps.start_set(time.time(), Side.LEFT)
    for rep in (1, 2):
        log.reps.add(set_id, time.time(), rep, Verdict.GOOD, [], {})
    seen: list[str] = []
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: seen.append(why), days=30, max_frames=50)
    pose = _pose()
    t = 0.0
    for _ in range(10):  # the run-up
        keeper.frame(True, t, pose, None, False)
        t += 0.1
    keeper.event(SetStarted(t=t, set_no=1, facing=Side.LEFT), set_id)
    events = {2.0: RepStarted(t=2.0, set_no=1, rep=1),
              3.0: RepFinished(t=3.0, set_no=1, rep=1, verdict=Verdict.GOOD, faults=(), metrics={}),
              4.0: RepStarted(t=4.0, set_no=1, rep=2),
              9.0: RepFinished(t=9.0, set_no=1, rep=2, verdict=Verdict.GOOD, faults=(), metrics={})}
    for _ in range(100):
        keeper.frame(True, round(t, 1), pose, None, False)
        if round(t, 1) in events:
            keeper.event(events[round(t, 1)], set_id)
        t += 0.1
    assert keeper.buffered == 50
    keeper.event(SetEnded(t=t, set_no=1, reps=2, good=2), None)
    assert keeper.buffered == 0
    keeper.start()
    keeper.close()
    one = KeptSets(log.path).get(set_id)
    assert one["frames"] == 50 and one["truncated"] is True and seen == []
    assert [r["rep"] for r in one["reps"]] == [1]  # rep 2 ended after frame 50: not in the stream


def test_the_run_up_before_a_set_is_bounded_in_time(tmp_path) -> None:
    keeper = SetKeeper(KeptSets.of(RepLog.open(tmp_path)), lambda source, why: None, days=30)
    pose = _pose()
    for i in range(600):  # a minute at 10 fps with nobody starting a set
        keeper.frame(True, i / 10, pose, None, None)
    assert keeper.buffered == round(PREROLL_S * 10) + 1
    keeper.close()


def test_turning_keeping_off_mid_set_drops_what_was_held(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: None, days=30)
    pose = _pose()
    for i in range(20):
        keeper.frame(True, i / 10, pose, None, None)
    keeper.event(SetStarted(t=2.0, set_no=1, facing=Side.LEFT), log.reps.start_set(1.0))
    keeper.frame(True, 2.1, pose, None, None)
    assert keeper.buffered == 21
    keeper.frame(False, 2.2, pose, None, None)
    assert keeper.buffered == 0
    keeper.event(SetEnded(t=3.0, set_no=1, reps=0, good=0), None)
    keeper.start()
    keeper.close()
    assert KeptSets(log.path).count() == 0


def test_retention_forgets_old_sets_and_their_labels_at_start(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    kept = KeptSets(log.path)
    now = time.time()
    old, new = log.reps.start_set(now - 40 * 86400), log.reps.start_set(now - 86400)
    for set_id, t in ((old, now - 40 * 86400), (new, now - 86400)):
        log.reps.add(set_id, t + 3, 1, Verdict.FAULT, [FaultCode.SQUAT], {})
        kept.save(set_id, t, ['{"t":0.0}', '{"t":5.0}'], [(1, 1.0, 3.0)], False)
        kept.label(set_id, {1: (True, ["squat"])}, "ann")
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: None, days=30, clock_synchronised=lambda: True)
    keeper.start()  # prunes at once
    keeper.close()
    assert [r["set_id"] for r in kept.page()] == [new] and kept.labelled() == [new]
    labels = sqlite3.connect(log.path).execute("SELECT set_id FROM rep_labels").fetchall()
    assert labels == [(new,)]
    assert len(log.reps.newest_first()) == 2  # the rep log itself keeps its reps
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: None, days=30, clock_synchronised=lambda: True)
    keeper.start()
    keeper.retain(1)  # staff shorten the retention, keeping off
    keeper.close()  # the writer pruned before it stopped, not a day later
    assert kept.count() == 0


def test_a_label_must_agree_with_itself(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    set_id = log.reps.start_set(time.time())
    log.reps.add(set_id, time.time(), 1, Verdict.GOOD, [], {})
    log.reps.add(set_id, time.time(), 2, Verdict.FAULT, [FaultCode.SQUAT], {})
    kept = KeptSets(log.path)
    kept.save(set_id, time.time(), ['{"t":0.0}'], [(1, 0.0, 1.0), (2, 1.0, 2.0)], False)
    with pytest.raises(LabelProblem, match="rep 1: a rep that was truly good"):
        kept.label(set_id, {1: (True, ["squat"])}, "ann")
    with pytest.raises(LabelProblem, match="rep 2: a rep that was truly faulty"):
        kept.label(set_id, {2: (True, [])}, "ann")
    with pytest.raises(LabelProblem, match="unknown fault 'limp'"):
        kept.label(set_id, {1: (False, ["limp"])}, "ann")
    with pytest.raises(LabelProblem, match="rep 3 is not in set"):
        kept.label(set_id, {3: (True, [])}, "ann")
    assert kept.labelled() == []
    assert kept.label(set_id, {1: (False, ["too_fast", "squat"]), 2: (False, [])}, "ann") == 2
    reps = kept.get(set_id)["reps"]
    assert reps[0]["label"]["faults"] == ["squat", "too_fast"]  # in the coach's order
    assert reps[1]["label"]["verdict_right"] is False and kept.labelled() == [set_id]


# ---------------------------------------------------------------- the web pages and the round trip
def _rep_form(client, set_id: int, marks: dict[int, tuple[str, list[str]]]) -> dict:
    form: dict = {"csrf_token": csrf_token(client, f"/staff/sets/{set_id}")}
    for rep, (verdict, faults) in marks.items():
        form[f"verdict-{rep}"] = verdict
        form[f"faults-{rep}"] = faults
    return form


def test_labelling_needs_staff_and_the_csrf_token(make_sim_station) -> None:
    station = kept_station(make_sim_station)
    app = create_app(station)
    set_id = KeptSets(station.store.path).page()[0]["set_id"]
    anonymous = app.test_client()
    for path in ("/staff/sets/", f"/staff/sets/{set_id}", f"/staff/sets/{set_id}/poses.json",
                 "/staff/sets/export.zip"):
        r = anonymous.get(path)
        assert r.status_code == 302 and "/staff/signin" in r.headers["Location"], path
    r = anonymous.post(f"/staff/sets/{set_id}/labels", data={"verdict-1": "right"})
    assert r.status_code == 403  # no CSRF token: refused before anything else
    staff = app.test_client()
    create_account(staff, app)
    token = csrf_token(staff, f"/staff/sets/{set_id}")
    r = anonymous.post(f"/staff/sets/{set_id}/labels", data={"verdict-1": "right", "csrf_token": token})
    assert r.status_code == 403  # staff's token is not the anonymous session's
    own = re.search(r'name="csrf-token" content="([^"]+)"', anonymous.get("/").get_data(as_text=True))
    r = anonymous.post(f"/staff/sets/{set_id}/labels", data={"verdict-1": "right", "csrf_token": own[1]})
    assert r.status_code == 302 and "/staff/signin" in r.headers["Location"]  # a token, but no sign-in
    r = staff.post(f"/staff/sets/{set_id}/labels", data={"verdict-1": "right"})
    assert r.status_code == 403
    assert KeptSets(station.store.path).get(set_id)["reps"][0]["label"] is None
    r = staff.post(f"/staff/sets/{set_id}/labels", data=_rep_form(staff, set_id, {1: ("right", ["squat"])}))
    assert r.status_code == 422
    assert "rep 1: a rep that was truly good has no faults" in r.get_data(as_text=True)
    r = staff.post(f"/staff/sets/{set_id}/labels", data=_rep_form(staff, set_id, {1: ("right", [])}))
    assert r.status_code == 302
    label = KeptSets(station.store.path).get(set_id)["reps"][0]["label"]
    assert label["by"] == "ann" and label["verdict_right"] is True and time.time() - label["t"] < 600
    page = staff.get("/staff/sets/").get_data(as_text=True)
    assert re.search(r"<td>1 of 3</td>", page) and "Keeping is <b>on</b>" in page
    assert staff.get("/staff/sets/999").status_code == 404


def test_keep_label_export_and_evaluate_the_zip(make_sim_station, tmp_path, capsys) -> None:
    station = kept_station(make_sim_station)
    app = create_app(station)
    staff = app.test_client()
    create_account(staff, app)
    set_id = KeptSets(station.store.path).page()[0]["set_id"]
    replay = staff.get(f"/staff/sets/{set_id}/poses.json").get_json()
    assert replay["facing"] == "left" and len(replay["reps"]) == 3
    drawn = next(f for f in replay["frames"] if f["pose"])
    assert drawn["pose"][0] in ("left", "right") and len(drawn["pose"]) == 21 and drawn["dowel"]
    empty = staff.get("/staff/sets/export.zip")
    assert empty.headers["X-Sets"] == "0"  # nothing fully labelled yet
    # Rep 3 really had bent knees the coach missed: the label says so, and evaluate counts the miss.
    marks = {1: ("right", []), 2: ("right", ["squat"]), 3: ("wrong", ["knees_too_bent"])}
    assert staff.post(f"/staff/sets/{set_id}/labels", data=_rep_form(staff, set_id, marks)).status_code == 302
    r = staff.get("/staff/sets/export.zip")
    assert r.status_code == 200 and r.headers["X-Sets"] == "1" and r.mimetype == "application/zip"
    archive = tmp_path / "sets.zip"
    archive.write_bytes(r.data)
    with zipfile.ZipFile(archive) as zf:
        labels = json.loads(zf.read("labels.json"))
        assert sorted(zf.namelist()) == ["labels.json", f"set-{set_id}.jsonl"]
        zf.extractall(tmp_path / "unpacked")
    (entry,) = labels["recordings"]
    assert entry["rep_faults"] == [[], ["squat"], ["knees_too_bent"]] and entry["expected_reps"] == 3
    assert entry["labelled_by"].endswith("labelled by ann") and entry["labelled_by"].startswith("station ")
    for where in (archive, tmp_path / "unpacked"):
        capsys.readouterr()
        assert main(["evaluate", str(where), "--json"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        (rec,), summary = rows[:-1], rows[-1]
        assert rec["counted_reps"] == rec["expected_reps"] == 3 and rec["paired_reps"] == 3
        assert rec["expected_faults"] == {"knees_too_bent": 1, "squat": 1}
        assert summary["count_exact"] == 1
        assert summary["faults"]["squat"] == {"precision": 1.0, "recall": 1.0, "tp": 1, "fp": 0, "fn": 0}
        assert summary["faults"]["knees_too_bent"]["fn"] == 1


def test_evaluate_refuses_a_file_that_is_not_a_zip(tmp_path, capsys) -> None:
    bad = tmp_path / "sets.zip"
    bad.write_bytes(b"not a zip")
    assert main(["evaluate", str(bad)]) == 1
    assert "neither a folder nor a zip file" in capsys.readouterr().err


def test_the_member_page_says_when_sets_are_kept(make_sim_station) -> None:
    station = make_sim_station([(Body(), PLAN)], Settings().changed(keep_sets=True, keep_sets_days=14))
    client = create_app(station).test_client()
    html = client.get("/").get_data(as_text=True)
    notice = re.search(r'<p id="keeping"([^>]*)>(.*?)</p>', html, re.S)
    assert notice and "hidden" not in notice.group(1)
    text = re.sub(r"<[^>]+>", "", notice.group(2))
    assert text == ("This station keeps your movement as stick-figure poses for 14 days to improve "
                    "coaching; no pictures.")
    station.apply_settings({"keep_sets": False})
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<p id="keeping" hidden>', html)
    assert station.snapshot().get("keep_sets_days") in (None, 14)  # published from the next frame
    station._apply_pending_settings()
    station._publish(None, [])
    assert station.snapshot()["keep_sets_days"] is None


def test_the_history_page_and_the_staff_nav_link_to_the_sets(staff_client) -> None:
    html = staff_client.get("/staff/history").get_data(as_text=True)
    assert html.count('href="/staff/sets/"') == 2  # the nav and the page's own link
    assert staff_client.get("/staff/sets/").status_code == 200



# A demo station that keeps sets: a short set, then a long one; it says when each rep is stored.
STATION = """
import pathlib, sys
from station.camera.sources import SimSource
from station.runtime.devices import Devices, pin_factory
from station.config.settings import Settings
from station.sim import Body, RepPlan, SetPlan
from station.runtime.station import Station
settings = Settings().changed(keep_sets=True)
short = SetPlan(reps=(RepPlan(), RepPlan()), approach_s=1.0)
long = SetPlan(reps=tuple(RepPlan() for _ in range(200)), approach_s=1.0)
station = Station(settings, SimSource(seed=3, fast=True, sets=iter([(Body(), short), (Body(), long)])),
                  data_dir=pathlib.Path(sys.argv[1]), devices=Devices.from_settings(
                      settings, factory=pin_factory(mock=True)), demo=True,
                  on_rep=lambda rep: print(rep["id"], flush=True))
station.start()
station.wait()
"""


def test_a_crash_loses_no_more_than_the_set_under_way(tmp_path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", STATION, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        kept = 0
        for _ in range(40):  # reps reported; the second set is under way after the first two
            assert proc.stdout.readline(), "the station stopped before the second set was under way"
            with sqlite3.connect(tmp_path / DB_NAME) as db:
                kept = db.execute("SELECT COUNT(*) FROM kept_sets").fetchone()[0]
            if kept:
                break
        assert kept == 1, "the first set was never kept"
        proc.stdout.readline()  # one more rep of the second set: it is under way
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    log = RepLog(tmp_path / DB_NAME)
    assert log.db.integrity() == "ok" and len(log.reps.sets()) == 2
    kept_sets = KeptSets(log.path)
    (first,) = kept_sets.page()
    assert first["reps"] == 2 and len(kept_sets.lines(first["set_id"])) == first["frames"]
    assert all(json.loads(line)["t"] >= 0 for line in kept_sets.lines(first["set_id"]))


def test_the_list_pages_through_many_sets(app, staff_client) -> None:
    store = app.extensions["hinge_station"].store
    kept = KeptSets(store.path)
    now = time.time()
    for i in range(30):
        set_id = store.reps.start_set(now - 3600 + i)
        store.reps.add(set_id, now - 3600 + i, 1, Verdict.GOOD, [], {})
        kept.save(set_id, now - 3600 + i, ['{"t":0.0}', '{"t":4.0}'], [(1, 1.0, 3.0)], False)
    first = staff_client.get("/staff/sets/").get_data(as_text=True)
    second = staff_client.get("/staff/sets/?page=2").get_data(as_text=True)
    beyond = staff_client.get("/staff/sets/?page=99").get_data(as_text=True)
    rows = re.compile(r'<tr><td><a href="/staff/sets/(\d+)">')
    assert len(rows.findall(first)) == 25 and len(rows.findall(second)) == 5
    assert not set(rows.findall(first)) & set(rows.findall(second))
    assert "page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' in first
    assert rows.findall(beyond) == rows.findall(second)  # past the end: the last page


def test_a_restore_mid_set_drops_that_set_and_the_kept_sets_follow_the_new_log(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    reader = KeptSets.of(log)  # as the staff pages hold one, opened before the restore
    assert reader.count() == 0
    seen: list[str] = []
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: seen.append(why), days=30)
    pose = _pose()
    for i in range(10):
        keeper.frame(True, i / 10, pose, None, None)
    keeper.event(SetStarted(t=1.0, set_no=1, facing=Side.LEFT), log.reps.start_set(time.time()))
    keeper.frame(True, 1.1, pose, None, None)
    log.db.snapshot_to(tmp_path / "backup.db")
    log.db.replace(tmp_path / "backup.db")  # staff restore a backup while the set is under way
    keeper.event(SetEnded(t=2.0, set_no=1, reps=0, good=0), None)
    keeper.start()
    keeper.close()
    assert seen and "restored from a backup while it was under way" in seen[0]
    assert reader.count() == 0
    set_id = log.reps.start_set(time.time())  # a set in the restored log is kept there
    reader.save(set_id, time.time(), ['{"t":0.0}'], [], False, reader.epoch())
    assert sqlite3.connect(tmp_path / DB_NAME).execute("SELECT set_id FROM kept_sets").fetchall() == [
        (set_id,)]


def test_staff_label_the_count_too_and_the_settings_in_force_go_with_the_set(tmp_path) -> None:
    log = RepLog.open(tmp_path)
    now = time.time()
    # Settings saved before the set was kept are the ones it ran with; later ones are not.
    log.saved_settings.add({"min_rep_s": 3.5, "mqtt_password": "secret"}, by="ann")
    set_id = log.reps.start_set(now + 10)
    for n in (1, 2):
        log.reps.add(set_id, now + 10 + n, n, Verdict.GOOD if n == 1 else Verdict.UNJUDGED, [], {})
    kept = KeptSets(log.path)
    kept.save(set_id, now + 10, ['{"t":0.0}', '{"t":9.0}'], [(1, 0.5, 2.5), (2, 3.0, 5.0)], False)
    with pytest.raises(LabelProblem, match=r"within the set.s 9\.0 s"):
        kept.add_missed(set_id, 9.5, [], "ann")
    with pytest.raises(LabelProblem, match=r"rep 2 is under way at 4\.0 s"):
        kept.add_missed(set_id, 4.0, [], "ann")
    with pytest.raises(LabelProblem, match="rep 3 is not in set"):
        kept.strike(set_id, 3, "ann")
    kept.add_missed(set_id, 7.25, ["squat"], "bob")
    kept.strike(set_id, 2, "bob")  # nothing happened there: the coach invented it
    assert kept.labelled() == []  # rep 1 still wants its verdict
    # A rep the coach did not judge: "right" is "truly good", so faults contradict it.
    with pytest.raises(LabelProblem, match="rep 2: a rep that was truly good"):
        kept.label(set_id, {2: (True, ["squat"])}, "ann")
    kept.label(set_id, {1: (True, [])}, "ann")
    assert kept.labelled() == [set_id]
    got = kept.get(set_id)
    assert [r["struck"] is not None for r in got["reps"]] == [False, True]
    assert [(m["at"], m["faults"], m["by"]) for m in got["missed"]] == [(7.25, ["squat"], "bob")]
    assert got["settings"] == {"min_rep_s": 3.5, "mqtt_password": "secret"}
    from station.kept_sets.export import recording

    entry = recording(got, "front-desk")
    assert entry["expected_reps"] == 2 and entry["rep_faults"] == [[], ["squat"]]
    assert entry["rep_times"] == [1.5, 7.25]
    assert entry["settings"]["min_rep_s"] == 3.5 and "mqtt_password" not in entry["settings"]
    assert set(entry["settings"]) == {f for f in Settings.__dataclass_fields__
                                      if Settings.__dataclass_fields__[f].metadata.get("group") == "coaching"}
    assert [c["struck"] for c in entry["coach"]] == [False, True]
    assert entry["labelled_by"].endswith("labelled by ann, bob")
    kept.strike(set_id, 2, "bob", struck=False)  # taken back: rep 2 needs a label again
    assert kept.labelled() == []
    (missed,) = kept.get(set_id)["missed"]
    assert kept.remove_missed(set_id, missed["id"]) and not kept.remove_missed(set_id, missed["id"])


def test_the_set_page_strikes_a_rep_and_adds_a_missed_one(make_sim_station) -> None:
    station = kept_station(make_sim_station)
    app = create_app(station)
    staff = app.test_client()
    create_account(staff, app)
    set_id = KeptSets(station.store.path).page()[0]["set_id"]
    got = KeptSets(station.store.path).get(set_id)
    after = round(got["reps"][-1]["end"] + 0.3, 1)  # past the last rep, inside the stream
    assert after < got["duration_s"]
    form = _rep_form(staff, set_id, {1: ("right", []), 3: ("right", got["reps"][2]["faults"])})
    form["struck-2"] = "1"
    assert staff.post(f"/staff/sets/{set_id}/labels", data=form).status_code == 302
    token = csrf_token(staff, f"/staff/sets/{set_id}")
    r = staff.post(f"/staff/sets/{set_id}/missed", data={"csrf_token": token, "at": "x"})
    assert r.status_code == 422 and "must be a number of seconds" in r.get_data(as_text=True)
    r = staff.post(f"/staff/sets/{set_id}/missed",
                   data={"csrf_token": token, "at": f"{after}".replace(".", ","), "faults": ["too_fast"]})
    assert r.status_code == 302
    page = staff.get(f"/staff/sets/{set_id}").get_data(as_text=True)
    assert f"At {after:.1f} s: too fast" in page and 'id="struck-2" checked' in page
    got = KeptSets(station.store.path).get(set_id)
    assert got["reps"][1]["struck"]["by"] == "ann" and got["missed"][0]["faults"] == ["too_fast"]
    assert KeptSets(station.store.path).labelled() == [set_id]
    r = staff.get("/staff/sets/export.zip")
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        (entry,) = json.loads(zf.read("labels.json"))["recordings"]
    assert entry["expected_reps"] == 3 and entry["rep_times"][-1] == after
    assert entry["rep_faults"][-1] == ["too_fast"] and entry["settings"]["wall_travel"] > 0


@pytest.mark.parametrize("synchronised", [False, True])
def test_pruning_waits_for_a_synchronised_clock(tmp_path, synchronised: bool) -> None:
    """A Pi without a battery whose clock is years ahead before network time: nothing is forgotten."""
    log = RepLog.open(tmp_path)
    kept = KeptSets(log.path)
    set_id = log.reps.start_set(time.time())
    kept.save(set_id, time.time(), ['{"t":0.0}', '{"t":5.0}'], [], False)
    seen: list[str] = []
    keeper = SetKeeper(KeptSets.of(log), lambda source, why: seen.append(why), days=30,
                       clock_synchronised=lambda: synchronised)
    real = time.time
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: real() + 10 * 365 * 86400)  # the clock ten years ahead
        assert keeper.prune() == (1 if synchronised else 0)
    assert kept.count() == (0 if synchronised else 1)
    if synchronised:
        assert keeper.prune_waits is None
    else:
        assert keeper.prune_waits and "not synchronised" in keeper.prune_waits and seen == []
    keeper.close()

