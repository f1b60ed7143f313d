"""The wall switch held by hand with no set in progress: noticed in the loop (runtime/switch_hold.py)
and published (``Station.hold`` and the snapshot's ``hold``), never seen by the coach as a rep."""

from __future__ import annotations

import time

from station.runtime.switch_hold import SwitchHold
from station.sim import demo_sets
from station.sim.plan import SetPlan


def test_a_long_hold_with_nobody_training_is_published_and_makes_no_rep(make_sim_station) -> None:
    body = next(iter(demo_sets(3)))[0]
    station = make_sim_station([(body, SetPlan(reps=(), approach_s=30.0))], fast=False, press_switch=False)
    station.switch_hold = SwitchHold(hold_s=0.5)  # the 5 s of a real hold, shortened for the test
    station.start()
    sub = station.subscribe()
    station.press_switch(True)
    deadline = time.monotonic() + 10
    while station.hold.count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    station.press_switch(False)
    assert station.hold.count == 1 and station.hold.at <= time.monotonic()
    snap = None
    while time.monotonic() < deadline:
        msg = sub.get(timeout=1)
        if msg is not None and msg.get("type") == "snapshot" and msg.get("hold") == 1:
            snap = msg
            break
    assert snap is not None and snap["reps"] == 0  # the hold is not a rep
    assert station.store.reps.newest_first() == []


def test_a_touch_during_a_rep_is_never_a_hold() -> None:
    hold = SwitchHold(hold_s=1.0)
    for t in range(10):  # a member at the wall for 10 s, in a rep
        hold.step(float(t), pressed=True, in_rep=True)
    assert hold.last.count == 0
    assert hold.step(11.0, pressed=True, in_rep=False).count == 0  # still the rep's press
    hold.step(12.0, pressed=False, in_rep=False)
    hold.step(13.0, pressed=True, in_rep=False)
    assert hold.step(14.0, pressed=True, in_rep=False).count == 1  # a new press, held
