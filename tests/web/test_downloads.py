"""Heavy staff downloads (kept-set replays, the history CSV, backups, the labelled-sets export):
streamed in pieces, at most downloads.AT_ONCE at a time (503 with Retry-After beyond), the same
content as before; and a kept-set id too large for SQLite is a 404.

The memory each attack costs a running station is measured by benchmarks/memory_attacks.py
(docs/figures.md): a test cannot time or weigh it, but it can see that the answer is a stream."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import pytest

from station.storage.kept_sets import KeptSets
from station.web import create_app
from station.web.downloads import AT_ONCE, RETRY_AFTER_S
from station.web.sets import replay_frames
from tests.helpers.accounts import create_account


@pytest.fixture
def station(make_sim_station):
    return make_sim_station(press_switch=False)  # not started: the test writes the log itself


@pytest.fixture
def staff(station):
    app = create_app(station)
    client = app.test_client()
    create_account(client, app)
    return client


def keep(station, frames: int = 700) -> int:
    """A kept set of ``frames`` frames of the simulated trainee (a few reps); its id."""
    from station.sim import Body, RepPlan, SetPlan, Trainee
    from station.streams.format import StreamFrame, frame_to_dict

    plan = SetPlan(reps=(RepPlan(), RepPlan(frozenset({"squat"})), RepPlan()), approach_s=1.0, facing="left")
    got = list(Trainee(Body(), plan, seed=1).frames())[:frames]
    lines = [json.dumps(frame_to_dict(StreamFrame(f.t - got[0].t, f.pose.size if f.pose else (0, 0), f.pose,
                                                  f.dowel, f.wall_contact))) for f in got]
    set_id = station.store.reps.start_set(time.time())
    KeptSets(station.store.path).save(set_id, time.time(), lines, [(1, 1.0, 3.0)], False)
    return set_id


def test_a_replay_is_streamed_in_pieces_with_the_frames_it_always_had(station, staff) -> None:
    set_id = keep(station)
    r = staff.get(f"/staff/sets/{set_id}/poses.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    pieces = list(r.response)  # what the server is handed, piece by piece (built whole: one piece)
    assert len(pieces) > 2 and max(len(p) for p in pieces) < 256 * 1024
    replay = json.loads(b"".join(pieces))
    r.close()
    lines = KeptSets(station.store.path).lines(set_id)
    assert replay["frames"] == list(replay_frames(lines)) and len(replay["frames"]) == len(lines) > 300
    assert any(f["pose"] for f in replay["frames"]) and {"facing", "duration_s", "reps"} <= set(replay)


@pytest.mark.parametrize("set_id", [2**63, 2**63 - 1, 10**30])
def test_a_kept_set_id_beyond_sqlites_integers_is_a_404(staff, set_id) -> None:
    for path in (f"/staff/sets/{set_id}", f"/staff/sets/{set_id}/poses.json"):
        assert staff.get(path).status_code == 404, path


def test_downloads_beyond_the_limit_are_told_to_come_back_and_a_slot_frees_when_one_ends(station,
                                                                                         staff) -> None:
    set_id = keep(station, frames=50)
    paths = [f"/staff/sets/{set_id}/poses.json", "/staff/history.csv", "/staff/backup",
             "/staff/sets/export.zip"]
    held = [staff.get(paths[i % len(paths)], buffered=False) for i in range(AT_ONCE)]  # not yet sent
    assert [r.status_code for r in held] == [200] * AT_ONCE
    for path in paths:
        busy = staff.get(path)
        assert busy.status_code == 503, path
        assert busy.headers["Retry-After"] == str(RETRY_AFTER_S) and b"Try again in" in busy.data
    held.pop().close()  # one download ends (sent, or its client went away)
    again = staff.get(paths[0])
    assert again.status_code == 200 and json.loads(again.data)["frames"]
    again.close()  # a WSGI server closes every answer it sent (the test client leaves it to the test)
    for r in held:
        r.close()
    # Every slot is back: as many downloads at once as before.
    more = [staff.get(paths[1], buffered=False) for _ in range(AT_ONCE)]
    assert [r.status_code for r in more] == [200] * AT_ONCE
    for r in more:
        r.close()


def test_the_history_csv_streams_every_rep_once_in_time_order_across_batches(station, staff) -> None:
    from station.coach.vocabulary import FaultCode, Verdict
    from station.storage.made_up import fill_history

    fill_history(station.store, 2500, now=time.time(), days=30, seed=4)
    # Reps sharing one time across a batch's edge (ordered by id among themselves).
    set_id = station.store.reps.start_set(1.0)
    for n in range(5):
        station.store.reps.add(set_id, 2.0, n + 1, Verdict.FAULT, [FaultCode.SQUAT], {"depth": n})
    r = staff.get("/staff/history.csv")
    assert r.status_code == 200
    pieces = list(r.response)  # a thousand rows a piece (built whole: one piece)
    assert len(pieces) == 3 and max(len(p) for p in pieces) < 256 * 1024
    text = b"".join(pieces).decode()
    r.close()
    rows = list(csv.reader(io.StringIO(text)))
    stored = sorted(station.store.reps.newest_first(limit=10**6), key=lambda x: (x["t"], x["id"]))
    assert len(rows) == 1 + len(stored) == 2506
    assert rows[0][:5] == ["time", "set_id", "rep", "verdict", "faults"] and rows[0][-1] == "fault_names"
    assert [(int(x[1]), int(x[2])) for x in rows[1:]] == [(s["set_id"], s["rep"]) for s in stored]
    # The same pieces in small batches: nothing lost or doubled at the edges.
    small = "".join(station.store.history.csv_chunks(batch=2))
    assert small == text


def test_the_backup_is_streamed_with_its_length_and_reads_as_a_backup(station, staff) -> None:
    from station.storage.made_up import fill_history

    fill_history(station.store, 3000, now=time.time(), days=30, seed=4)
    r = staff.get("/staff/backup")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    pieces = list(r.response)
    assert len(pieces) > 1 and max(len(p) for p in pieces) <= 64 * 1024
    body = b"".join(pieces)
    r.close()
    assert int(r.headers["Content-Length"]) == len(body)
    assert "attachment; filename=hinge-backup-" in r.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert sorted(z.namelist()) == ["manifest.json", "settings.json", "station.db"]
