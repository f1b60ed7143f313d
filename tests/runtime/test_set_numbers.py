"""One set number for members and staff: the rep log's set id, which does not restart with the
station (the coach's own count does), in the recorder's events and the live snapshot; sets a stop
cut short are listed as such on staff's Sets page."""

from __future__ import annotations

import time
from pathlib import Path

from station.coach.events import RepFinished, RepStarted, SetEnded, SetStarted
from station.coach.vocabulary import Side, Verdict
from station.runtime.rep_recorder import RepRecorder
from station.storage.kept_sets import KeptSets
from station.storage.replog import RepLog


def test_events_carry_the_rep_logs_set_number_not_the_coachs(tmp_path: Path) -> None:
    store = RepLog.open(tmp_path)
    for _ in range(48):  # an earlier run of the station left 48 sets in the log
        store.reps.end_set(store.reps.start_set(time.time()), time.time())
    recorder = RepRecorder(store, lambda *_: None)
    assert recorder.set_no is None  # nothing under way in this run yet
    started = recorder.record(SetStarted(t=0.0, set_no=1, facing=Side.LEFT))  # the coach's first set
    began = recorder.record(RepStarted(t=0.5, set_no=1, rep=1))
    rep = recorder.record(RepFinished(t=1.0, set_no=1, rep=1, verdict=Verdict.GOOD, faults=(), metrics={}))
    ended = recorder.record(SetEnded(t=2.0, set_no=1, reps=1, good=1))
    assert [m["set_no"] for m in (started, began, rep, ended)] == [49, 49, 49, 49]
    assert store.reps.newest_first(limit=1)[0]["set_id"] == 49
    assert recorder.set_no == 49  # between sets: the one that ended last
    store.close()


def test_the_live_snapshot_numbers_sets_as_the_log_does(make_sim_station) -> None:
    first = make_sim_station(fast=True, press_switch=True)
    for _ in range(6):
        first.store.reps.start_set(time.time())  # six sets cut by an earlier stop
    first.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.snapshot().get("set_no") in (None, 0):
        time.sleep(0.05)
    first.stop()
    snap = first.snapshot()
    assert snap["set_no"] == max(s["id"] for s in first.store.reps.sets()) >= 7


def test_sets_cut_by_a_stop_are_found_and_the_set_under_way_is_not(tmp_path: Path) -> None:
    store = RepLog.open(tmp_path)
    done = store.reps.start_set(100.0)
    store.reps.add(done, 101.0, 1, Verdict.GOOD, [], {})
    store.reps.end_set(done, 102.0)
    cut = store.reps.start_set(200.0)
    store.reps.add(cut, 201.0, 1, Verdict.GOOD, [], {})
    store.reps.add(cut, 202.0, 2, Verdict.FAULT, [], {})
    now = store.reps.start_set(300.0)
    kept = KeptSets(store.path)
    found = kept.cut(under_way=now)
    assert [(s["set_id"], s["reps"], s["good"]) for s in found] == [(cut, 2, 1)]
    assert [s["set_id"] for s in kept.cut(since=250.0)] == [now]  # nothing under way: it was cut too
    kept.close()
    store.close()
