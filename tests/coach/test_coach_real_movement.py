"""The coach on movement as real members do it (issue: the coach on real bodies): rep after rep
with no still stand, partial lockouts, bent knees that are not a squat, a dropped head with no
dowel in view. Simulated, with the true labels; the real corpus lives in tests/data/real."""

from __future__ import annotations

from dataclasses import replace

import pytest

from station.coach.events import RepFinished, RepStarted, SetEnded, SetStarted
from station.coach.run import Frame, coach_over
from station.coach.vocabulary import FaultCode
from station.config.settings import Settings
from station.sim import Body, RepPlan, SetPlan, Trainee
from station.sim import trainee as trainee_module
from station.sim.score import settings_for


def judged(plan: SetPlan, seed: int = 4, settings: Settings | None = None) -> tuple[list, Trainee]:
    trainee = Trainee(Body(), plan, seed=seed)
    return list(coach_over(trainee.frames(), settings or settings_for(trainee, plan))), trainee


@pytest.mark.parametrize("noise_px", [0.5, 2.0, 4.0])
def test_rep_after_rep_with_no_still_stand_counts_every_rep(noise_px: float) -> None:
    reps = tuple(RepPlan(duration=2.2, pause_after=0.15) for _ in range(6))
    plan = SetPlan(reps=reps, approach_s=0.3, lockout_share=0.08, noise_px=noise_px)
    events, trainee = judged(plan)
    done = [e for e in events if isinstance(e, RepFinished)]
    assert sum(isinstance(e, SetStarted) for e in events) == 1
    assert [e.faults for e in done] == [()] * 6, [e.faults for e in done]
    # Each rep is timed from where the hips left the top, not from a stand long before.
    for rep, truth in zip(done, trainee.truth, strict=True):
        assert rep.metrics["duration_s"] <= truth.t_end - truth.t_start + 0.2, (rep.rep, rep.metrics)


def test_fast_reps_without_a_full_lockout_are_too_fast() -> None:
    reps = tuple(RepPlan(frozenset({FaultCode.TOO_FAST}), duration=0.9, pause_after=0.2) for _ in range(5))
    plan = SetPlan(reps=reps, approach_s=0.3, lockout_share=0.1, noise_px=1.0)
    events, _ = judged(plan)
    assert [e.faults for e in events if isinstance(e, RepFinished)] == [(FaultCode.TOO_FAST,)] * 5


def test_bent_knees_are_named_and_not_called_a_squat() -> None:
    plan = SetPlan(reps=(RepPlan(), RepPlan(frozenset({FaultCode.KNEES_TOO_BENT})),
                         RepPlan(frozenset({FaultCode.SQUAT}))), noise_px=1.0)
    events, _ = judged(plan)
    assert [e.faults for e in events if isinstance(e, RepFinished)] == [
        (), (FaultCode.KNEES_TOO_BENT,), (FaultCode.SQUAT,)]


def test_a_dropped_head_with_no_dowel_in_view_is_off_the_dowel(monkeypatch) -> None:
    # 22 deg of neck flexion: past the 16 deg that takes the head off a straight dowel, short of
    # the 30 deg that reads as a rounded back.
    monkeypatch.setattr(trainee_module, "HEAD_DROP", 22.0)
    plan = SetPlan(reps=(RepPlan(frozenset({FaultCode.HEAD_OFF_DOWEL})), RepPlan()),
                   dowel_miss_rate=1.0, noise_px=1.0)
    events, _ = judged(plan)
    assert [e.faults for e in events if isinstance(e, RepFinished)] == [(FaultCode.HEAD_OFF_DOWEL,), ()]


def test_the_head_limit_follows_the_contact_tolerance() -> None:
    from station.coach.thresholds import head_off_dowel_deg

    # 0.07 torso lengths off a dowel at a quarter torso from the neck's pivot: 16 deg.
    assert head_off_dowel_deg(0.07) == pytest.approx(16.26, abs=0.05)
    assert head_off_dowel_deg(0.03) < head_off_dowel_deg(0.07) < head_off_dowel_deg(0.15)
    assert head_off_dowel_deg(1.0) == 90.0


@pytest.mark.parametrize(("noise_px", "switch"), [(0.5, True), (2.0, False), (4.0, True)])
def test_a_set_that_starts_at_the_bottom_counts_the_rise_as_its_first_rep(noise_px: float,
                                                                         switch: bool) -> None:
    # Parked at the bottom (a bell on the floor), up into the first stand and straight on.
    reps = (RepPlan(pause_after=0.3), *(RepPlan(duration=2.4, pause_after=0.8) for _ in range(3)))
    plan = SetPlan(reps=reps, start="bottom", approach_s=1.2, noise_px=noise_px, switch=switch)
    events, trainee = judged(plan)
    done = [e for e in events if isinstance(e, RepFinished)]
    assert [e.faults for e in done] == [()] * 4, [e.faults for e in done]
    first, truth = done[0], trainee.truth[0]
    # The rise is rep 1: from its bottom to its top, not from a stand that never was.
    assert truth.t_start <= first.t <= truth.t_end + 0.2, (first.t, truth)
    started = next(e for e in events if isinstance(e, RepStarted))
    assert started.rep == 1 and started.t < truth.t_end - 0.3


def test_a_rounded_back_at_the_bottom_of_a_set_that_starts_there_is_not_passed() -> None:
    reps = (RepPlan(frozenset({FaultCode.ROUNDED_BACK}), pause_after=0.2), RepPlan(), RepPlan())
    events, _ = judged(SetPlan(reps=reps, start="bottom", approach_s=1.0, noise_px=2.0))
    assert [e.faults for e in events if isinstance(e, RepFinished)] == [(FaultCode.ROUNDED_BACK,), (), ()]


@pytest.mark.parametrize("noise_px", [0.5, 4.0])
def test_a_member_who_walks_up_stooped_and_settles_gets_no_rep_for_standing_up(noise_px: float) -> None:
    plan = SetPlan(reps=(RepPlan(), RepPlan()), start="stooped", approach_s=2.0, noise_px=noise_px)
    events, _ = judged(plan)
    assert [e.faults for e in events if isinstance(e, RepFinished)] == [(), ()]
    assert [e.rep for e in events if isinstance(e, RepStarted)] == [1, 2]


def test_a_rep_that_never_comes_back_up_is_no_rep() -> None:
    # Two reps, then down into a third and out of view from the bottom (a bell parked, the member
    # walks off bent): the third never had a top.
    plan = SetPlan(reps=(RepPlan(), RepPlan(), RepPlan()), noise_px=1.0)
    trainee = Trainee(Body(), plan, seed=4)
    bottom = trainee.truth[2].t_start + 0.5 * (trainee.truth[2].t_end - trainee.truth[2].t_start)
    frames = [*(f for f in trainee.frames() if f.t <= bottom),
              *(Frame(bottom + k / 30, None) for k in range(1, 150))]  # out of view from the bottom
    events = list(coach_over(frames, settings_for(trainee, plan)))
    assert [e.rep for e in events if isinstance(e, RepStarted)] == [1, 2, 3]
    assert [e.rep for e in events if isinstance(e, RepFinished)] == [1, 2]
    ended = [e for e in events if isinstance(e, SetEnded)]
    assert len(ended) == 1 and ended[0].reps == 2


def test_a_rep_first_seen_after_the_member_was_out_of_view_is_lost_tracking() -> None:
    # The member vanishes just as the hips leave the stand and reappears halfway back up: the
    # coach never saw this rep start, so what happened out of view cannot be judged.
    plan = SetPlan(reps=(RepPlan(), RepPlan(), RepPlan()), noise_px=1.0)
    trainee = Trainee(Body(), plan, seed=4)
    second = trainee.truth[1]
    gone = (second.t_start + 0.1, second.t_start + 0.1 + 0.6 * (second.t_end - second.t_start))
    frames = [replace(f, pose=None) if gone[0] <= f.t <= gone[1] else f for f in trainee.frames()]
    events = list(coach_over(frames, settings_for(trainee, plan)))
    done = [e for e in events if isinstance(e, RepFinished)]
    assert [e.faults for e in done] == [(), (FaultCode.LOST_TRACKING,), ()], [e.faults for e in done]
