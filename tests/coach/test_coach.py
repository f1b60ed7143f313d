"""The coach against the simulated trainee's true labels: the key cases of the coach suite."""

from __future__ import annotations

import io
import json
import random
import time
import zlib

import numpy as np
import pytest

from station.coach.coach import CUE_FRONT, Coach
from station.coach.events import RepFinished, SetEnded, SetStarted, WallTouched
from station.coach.faults import FAULTS
from station.coach.run import coach_over
from station.config.settings import Settings
from station.sim import Body, RepPlan, SetPlan, Trainee, rep_plan
from station.sim.score import score_set, settings_for
from station.streams.format import StreamFrame, write_frame
from station.streams.replay import replay


def run(trainee: Trainee, settings: Settings | None = None) -> list:
    return list(coach_over(trainee.frames(), settings or settings_for(trainee, trainee.plan)))


def reps_of(events: list) -> list[RepFinished]:
    return [e for e in events if isinstance(e, RepFinished)]


@pytest.mark.parametrize("switch", [True, False])
@pytest.mark.parametrize("facing", ["left", "right"])
def test_good_set_counts_every_rep_as_good(switch: bool, facing: str) -> None:
    plan = SetPlan(reps=tuple(RepPlan(duration=2.5) for _ in range(4)), facing=facing, switch=switch)
    events = run(Trainee(Body(height=1.68), plan, seed=3))
    reps = reps_of(events)
    assert [r.verdict for r in reps] == ["good"] * 4
    assert [r.rep for r in reps] == [1, 2, 3, 4]
    touches = [e.by for e in events if isinstance(e, WallTouched)]
    assert touches == ["switch" if switch else "camera"] * 4
    assert isinstance(events[0], SetStarted) and events[0].facing == facing
    assert isinstance(events[-1], SetEnded) and events[-1].reps == 4 and events[-1].good == 4


@pytest.mark.parametrize("code", list(FAULTS))
@pytest.mark.parametrize("switch", [True, False])
def test_each_fault_is_found_in_the_rep_that_had_it(code: str, switch: bool) -> None:
    # A seed that is the same on every run (hash() of a str is salted per process): a failure reproduces.
    rng = random.Random(zlib.crc32(f"{code}/{switch}".encode()) % 1000)
    plan = SetPlan(reps=(rep_plan(rng), rep_plan(rng, [code]), rep_plan(rng)), switch=switch, noise_px=2.0,
                   facing=rng.choice(["left", "right"]))
    result = score_set(Body.random(rng), plan, seed=11)
    assert result.count_exact, f"{len(result.judged)} reps judged, 3 done"
    assert [set(r.faults) for r in result.judged] == [set(), {code}, set()]
    assert result.judged[1].verdict == "fault"


def test_a_spine_fault_is_never_good_even_when_fast_or_lost() -> None:
    rng = random.Random(5)
    reps = (rep_plan(rng, ["rounded_back"]), RepPlan(frozenset({"head_off_dowel"}), duration=2.0),
            rep_plan(rng, ["sacrum_off_dowel"]))
    result = score_set(Body(), SetPlan(reps=reps, noise_px=3.0, drop_rate=0.03), seed=2)
    assert [r.verdict for r in result.judged] == ["fault"] * 3
    assert all(FAULTS[c].spine for r in result.judged for c in r.faults)


def test_same_frames_give_the_same_events() -> None:
    plan = SetPlan(reps=(RepPlan(), RepPlan(frozenset({"squat"}))), noise_px=2.5)
    trainee = Trainee(Body(), plan, seed=9)
    first = [e.as_dict() for e in run(trainee)]
    # Not two empty lists: the set was seen, with its two reps judged as planned.
    reps = [(e["rep"], e["faults"]) for e in first if e["event"] == "rep_finished"]
    assert reps == [(1, []), (2, ["squat"])]
    assert first == [e.as_dict() for e in run(trainee)]


def test_time_going_back_is_ignored() -> None:
    coach = Coach(Settings())
    frames = list(Trainee(Body(), SetPlan(reps=(RepPlan(),)), seed=1).frames())
    assert len(frames) > 200  # the stale frame below is sent mid-set
    events = []
    for i, f in enumerate(frames):
        events += coach.step(f.t, f.pose, f.dowel, f.wall_contact).events
        if i == 200:
            stale = coach.step(f.t - 5.0, None, None, None)
            assert stale.events == () and stale.snapshot.t == f.t
    assert len(reps_of(events)) == 1


def test_front_view_asks_to_turn_and_starts_no_set() -> None:
    frames = [f for f in Trainee(Body(), SetPlan(reps=()), seed=1).frames() if f.pose is not None]
    assert len(frames) > 30  # enough frames for a set to have started had the view been a side one
    coach = Coach(Settings())
    for f in frames:
        pose = f.pose
        xy = pose.xy.copy()
        # Spread the two sides a shoulder-width apart, as a camera in front would see them.
        for name in ("shoulder", "hip", "elbow", "knee", "ankle"):
            from station.pose.landmarks import INDEX

            xy[INDEX[f"left_{name}"], 0] += 60
            xy[INDEX[f"right_{name}"], 0] -= 60
        step = coach.step(f.t, type(pose)(xy, pose.visibility, size=pose.size), None, None)
        assert not any(isinstance(e, SetStarted) for e in step.events)
    assert step.snapshot.cue == CUE_FRONT and step.snapshot.view == "front"


def test_new_settings_judge_the_next_rep() -> None:
    plan = SetPlan(reps=(RepPlan(duration=2.5), RepPlan(duration=2.5)))
    trainee = Trainee(Body(), plan, seed=4)
    coach = Coach(Settings())
    verdicts = []
    for f in trainee.frames():
        for e in coach.step(f.t, f.pose, f.dowel, f.wall_contact).events:
            if isinstance(e, RepFinished):
                verdicts.append(e.faults)
                coach.update_settings(Settings().changed(min_rep_s=6.0))
    assert verdicts == [(), ("too_fast",)]


def test_snapshot_shows_contacts_depth_and_cue_during_a_rep() -> None:
    plan = SetPlan(reps=(RepPlan(frozenset({"head_off_dowel"}), duration=3.0),), noise_px=0.5)
    trainee = Trainee(Body(), plan, seed=2)
    coach = Coach(Settings())
    seen, unseen = {}, []
    for f in trainee.frames():
        snap = coach.step(f.t, f.pose, f.dowel, f.wall_contact).snapshot
        if f.pose is None:
            unseen.append(snap)
            continue
        seen[snap.phase] = snap
        if snap.phase == "at_wall":
            seen["wall"] = snap
    assert seen["ready"].contacts == {"head": True, "upper_back": True, "sacrum": True}
    # The member walked out of view: no contact is claimed, even before the set ends (issue 26).
    assert unseen and all(set(u.contacts.values()) == {None} for u in unseen)
    assert any(u.phase == "ready" for u in unseen)
    wall = seen["wall"]
    assert wall.depth == 1.0 and wall.contacts["head"] is False and wall.contacts["sacrum"] is True
    assert wall.cue == FAULTS["head_off_dowel"].cue
    # What the live page gets: plain JSON with every field, of the type the page reads.
    sent = json.loads(json.dumps(wall.as_dict()))
    assert sent["phase"] == "at_wall" and sent["depth"] == 1.0 and sent["cue"] == wall.cue
    assert sent["contacts"] == {"head": False, "upper_back": wall.contacts["upper_back"], "sacrum": True}
    assert isinstance(sent["t"], float) and sent["t"] == wall.t
    assert sent["view"] == "side" and sent["facing"] in ("left", "right")
    for key in ("set_no", "reps", "good"):
        assert type(sent[key]) is int, key
    assert sent["last_faults"] == list(wall.last_faults)
    w, h = sent["size"]
    assert w > 0 and h > 0
    # The coach's snapshot carries no landmarks: the station adds them from the pose it ran.
    assert "landmarks" not in sent


def outputs(coach: Coach, frame) -> tuple[dict, list[dict]]:
    step = coach.step(frame.t, frame.pose, frame.dowel, frame.wall_contact)
    return step.snapshot.as_dict(), [e.as_dict() for e in step.events]


def test_coach_keeps_no_clock_or_io_between_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same frames give the same snapshots and events, whatever the clocks say, whatever other
    coaches did before or in between, and without opening a file."""
    frames = list(Trainee(Body(), SetPlan(reps=(RepPlan(), RepPlan(frozenset({"squat"}))), noise_px=2.0),
                          seed=8).frames())
    others = list(Trainee(Body(height=1.9), SetPlan(reps=(RepPlan(frozenset({"head_off_dowel"})),) * 3,
                                                    facing="right", switch=False), seed=12).frames())
    first = Coach(Settings())
    reference = [outputs(first, f) for f in frames]
    events = [e for _, evs in reference for e in evs]
    assert [e["faults"] for e in events if e["event"] == "rep_finished"] == [[], ["squat"]]

    # Every clock reads years ahead and jumps a minute each time it is read; files cannot be opened.
    fake = iter(range(10**7, 10**9))
    for name in ("time", "monotonic", "perf_counter", "process_time"):
        monkeypatch.setattr(time, name, lambda: 60.0 * next(fake))
    for name in ("time_ns", "monotonic_ns", "perf_counter_ns"):
        monkeypatch.setattr(time, name, lambda: 60 * 10**9 * next(fake))

    def no_io(*args, **kwargs):
        raise AssertionError(f"the coach opened a file: {args}")

    monkeypatch.setattr("builtins.open", no_io)
    monkeypatch.setattr(io, "open", no_io)

    # A coach that ran other frames first, then one stepped in turn with a third coach on other frames.
    before = Coach(Settings())
    other_out = [outputs(before, f) for f in others]
    assert other_out != reference[: len(other_out)]
    later = Coach(Settings())
    assert [outputs(later, f) for f in frames] == reference
    interleaved, third = Coach(Settings()), Coach(Settings())
    got = []
    for i, f in enumerate(frames):
        if i < len(others):
            outputs(third, others[i])
        got.append(outputs(interleaved, f))
    assert got == reference


def test_replayed_stream_finds_the_same_reps_as_live() -> None:
    plan = SetPlan(reps=(RepPlan(), RepPlan(frozenset({"no_wall_touch"})), RepPlan(frozenset({"too_fast"}),
                                                                              duration=0.8)))
    trainee = Trainee(Body(), plan, seed=6)
    live = [(r.rep, r.verdict, list(r.faults)) for r in reps_of(run(trainee, Settings()))]
    stream = io.StringIO()
    for f in trainee.frames():
        size = f.pose.size if f.pose is not None else (1280, 720)
        write_frame(stream, StreamFrame(f.t, size, f.pose, f.dowel, f.wall_contact))
    out, err = io.StringIO(), io.StringIO()
    replay(io.StringIO(stream.getvalue()), Settings(), out, err, as_json=True)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    replayed = [(e["rep"], e["verdict"], e["faults"]) for e in lines if e["event"] == "rep_finished"]
    assert replayed == live and len(live) == 3
    assert lines[-1]["faults"] == {"no_wall_touch": 1, "too_fast": 1} and err.getvalue() == ""
    assert np.isfinite([e["t"] for e in lines[:-1]]).all()


def test_feet_just_below_the_frame_still_count_as_seen_far_below_do_not() -> None:
    from station.coach.posture import near_side
    from station.coach.signals import whole_body_seen
    from station.pose.landmarks import INDEX

    frame = next(f for f in Trainee(Body(), SetPlan(reps=()), seed=1).frames() if f.pose is not None)
    pose = frame.pose
    h = pose.size[1]
    side = near_side(pose)
    assert whole_body_seen(pose, side)

    def ankle_at(y: float) -> bool:
        xy = pose.xy.copy()
        xy[INDEX[f"{side}_ankle"], 1] = y
        return whole_body_seen(type(pose)(xy, pose.visibility, size=pose.size), side)

    assert ankle_at(1.05 * h)  # a camera framed tight at the feet (the Good Morning photo)
    assert not ankle_at(1.3 * h)  # a guess far outside: not a whole body
