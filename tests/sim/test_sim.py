"""The simulated trainee: deterministic, labelled, and each fault shows in the geometry."""

from __future__ import annotations

import random

import numpy as np
import pytest

from station.coach.posture import angles_of, facing_of, near_side, phase_of, view_of
from station.sim import Body, RepPlan, SetPlan, Trainee, demo_sets, random_set


def frames(plan: SetPlan, seed: int = 1, body: Body | None = None) -> list:
    return list(Trainee(body or Body(), plan, seed=seed).frames())


def test_same_seed_same_frames_other_seed_other_noise() -> None:
    plan = SetPlan(reps=(RepPlan(),), noise_px=2.0)
    a, b, c = frames(plan, 1), frames(plan, 1), frames(plan, 2)
    pa = [f.pose.xy for f in a if f.pose is not None]
    assert all(np.array_equal(x, f.pose.xy) for x, f in zip(pa, [f for f in b if f.pose], strict=True))
    assert not np.allclose(pa[10], [f for f in c if f.pose][10].pose.xy)


@pytest.mark.parametrize("facing", ["left", "right"])
def test_side_view_and_facing_as_planned(facing: str) -> None:
    seen = [f for f in frames(SetPlan(reps=(RepPlan(),), facing=facing))[::10] if f.pose is not None]
    assert len(seen) >= 10
    for f in seen:
        assert view_of(f.pose) == "side"
        assert facing_of(f.pose) == facing
        assert near_side(f.pose) == facing  # as in the real photos: the side turned to the camera


def test_switch_closes_only_in_reps_that_reach_the_wall() -> None:
    plan = SetPlan(reps=(RepPlan(), RepPlan(frozenset({"no_wall_touch"})), RepPlan(frozenset({"squat"}))))
    trainee = Trainee(Body(), plan, seed=3)
    touched = {f.rep for f in trainee.frames() if f.wall_contact}
    assert touched == {1}
    assert [r.touched_wall for r in trainee.truth] == [True, False, False]
    no_switch = frames(SetPlan(reps=(RepPlan(),), switch=False))
    assert {f.wall_contact for f in no_switch} == {None}


def test_phases_of_the_movement_match_the_truth_labels() -> None:
    plan = SetPlan(reps=(RepPlan(duration=3.0), RepPlan(frozenset({"squat"}), duration=3.0)), noise_px=0.5)
    trainee = Trainee(Body(), plan, seed=4)
    seen = {}
    for f in trainee.frames():
        if f.pose is not None:
            side = near_side(f.pose)
            seen.setdefault((f.rep, f.phase), phase_of(angles_of(f.pose, side, plan.facing)))
    assert seen[(0, "ready")] == "upright"
    assert seen[(1, "at_wall")] == "hinge"
    # The first frames of a phase: the squat rep is already deep when the hold starts.
    squat_frames = [f for f in trainee.frames() if f.rep == 2 and f.phase == "hinging" and f.pose is not None]
    deepest = squat_frames[-1].pose
    assert phase_of(angles_of(deepest, near_side(deepest), plan.facing)) == "squat"


def _gap(frame, landmark: str) -> float:
    side = near_side(frame.pose)
    p = frame.pose.point(f"{side}_{landmark}")
    return frame.dowel.distance(p)


@pytest.mark.parametrize(("code", "off"), [
    ("head_off_dowel", {"ear"}), ("upper_back_off_dowel", {"shoulder"}), ("sacrum_off_dowel", {"hip"}),
    ("rounded_back", {"ear", "hip"}), (None, set())])
def test_dowel_faults_move_just_their_contact_points(code: str | None, off: set[str]) -> None:
    faults = frozenset({code}) if code else frozenset()
    trainee = Trainee(Body(), SetPlan(reps=(RepPlan(faults, duration=3.0),), noise_px=0.0), seed=5)
    fs = [f for f in trainee.frames() if f.pose is not None and f.dowel is not None]
    stand = next(f for f in fs if f.phase == "ready")
    bottom = next(f for f in fs if f.phase == "at_wall")
    torso = Body().torso * trainee._scale
    for landmark in ("ear", "shoulder", "hip"):
        gap = (_gap(bottom, landmark) - _gap(stand, landmark)) / torso  # > 0: off the dowel
        if landmark in off:
            assert gap > 0.14, landmark
        else:
            assert gap < 0.03, landmark


def test_lost_tracking_hides_the_pose_for_most_of_a_second() -> None:
    trainee = Trainee(Body(), SetPlan(reps=(RepPlan(frozenset({"lost_tracking"}), duration=3.0),)), seed=7)
    hidden = [f.t for f in trainee.frames() if f.rep == 1 and f.pose is None]
    assert 0.55 <= hidden[-1] - hidden[0] <= 1.25


def test_random_and_demo_sets_are_valid_plans() -> None:
    rng = random.Random(0)
    for _ in range(20):
        body, plan = random_set(rng)
        assert 1.5 <= body.height <= 2.0 and 3 <= len(plan.reps) <= 8
    body, plan = next(demo_sets(1))
    assert plan.switch and 4 <= len(plan.reps) <= 8
    with pytest.raises(ValueError, match="unknown fault"):
        RepPlan(frozenset({"slouch"}))


def test_a_set_can_start_at_the_bottom_or_stooped() -> None:
    bottom = Trainee(Body(), SetPlan(reps=(RepPlan(), RepPlan()), start="bottom", approach_s=1.0), seed=2)
    first = next(f for f in bottom.frames() if f.pose is not None)
    pose = first.pose
    assert first.rep == 1 and phase_of(angles_of(pose, near_side(pose), facing_of(pose))) == "hinge"
    assert bottom.truth[0].t_end - bottom.truth[0].t_start < 1.0 + 0.45 * 2.6 + 1e-6  # the rise only
    stooped = Trainee(Body(), SetPlan(reps=(RepPlan(),), start="stooped"), seed=2)
    first = next(f for f in stooped.frames() if f.pose is not None)
    a = angles_of(first.pose, near_side(first.pose), facing_of(first.pose))
    assert first.rep == 0 and a.hip_flexion > 45 and len(stooped.truth) == 1


@pytest.mark.parametrize(("plan", "message"), [
    (dict(start="sideways"), "start must be one of"),
    (dict(start="bottom", reps=(RepPlan(frozenset({"too_fast"})),)), "half a rep"),
    (dict(start="stooped", approach_s=0.5), "settling"),
    (dict(noise="webcam"), "noise must be one of"),
])
def test_impossible_starts_are_refused(plan: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SetPlan(**{"reps": (RepPlan(),), **plan})


def _real_noise(source: str):
    from pathlib import Path

    from station.sim.realism import track_noise
    from station.streams.format import BadLine, read_stream

    with (Path(__file__).parents[1] / "data" / "real" / source).open(encoding="utf-8") as lines:
        return track_noise([(f.t, f.pose) for f in read_stream(lines) if not isinstance(f, BadLine)])


@pytest.mark.parametrize("name", ["mediapipe", "tfjs", "movenet", "pistol"])
def test_each_noise_profile_is_what_its_real_track_measures(name: str) -> None:
    """The numbers in station/sim/noise.py are the real track's, measured again here."""
    import math

    from station.sim.noise import PROFILES

    profile = PROFILES[name]
    real = _real_noise(profile.source)
    for joint, bands in profile.jitter.items():
        for ours, theirs in zip(bands, real.jitter[joint], strict=True):
            assert (math.isnan(ours) and math.isnan(theirs)) or abs(ours - theirs) < 1e-4, (joint, bands)
        assert profile.visibility[joint] == pytest.approx(real.visibility[joint], abs=0.006), joint
    assert profile.swap_share == pytest.approx(real.swap_share, abs=1e-4)
    assert profile.side_apart == pytest.approx(real.side_apart, abs=1e-3)
    assert profile.drop_share == pytest.approx(real.drop_share, abs=1e-4)


@pytest.mark.parametrize("name", ["mediapipe", "tfjs", "movenet", "pistol"])
def test_a_simulated_set_with_a_profile_measures_like_its_real_track(name: str) -> None:
    """Jitter by joint and speed band (where both have 40 frames or more), visibility and the
    sides' separation of a simulated set match the real track's, measured the same way."""
    import math

    from station.sim.noise import PROFILES
    from station.sim.realism import track_noise

    profile = PROFILES[name]
    real = _real_noise(profile.source)
    reps = tuple(RepPlan(frozenset({"too_fast"}), duration=0.8) if k % 2 else RepPlan() for k in range(6))
    trainee = Trainee(Body(), SetPlan(reps=reps, noise=name), seed=1)
    sim = track_noise([(f.t, f.pose) for f in trainee.frames()])
    compared = 0
    for joint in profile.jitter:
        for band in range(3):  # the fast band holds too few simulated frames to compare
            ours, theirs = sim.jitter[joint][band], real.jitter[joint][band]
            if min(sim.band_frames[joint][band], real.band_frames[joint][band]) < 40 or math.isnan(theirs):
                continue
            compared += 1
            assert abs(ours - theirs) <= 0.35 * theirs + 0.001, (joint, band, ours, theirs)
        assert sim.visibility[joint][0] == pytest.approx(real.visibility[joint][0], abs=0.03), joint
        assert sim.visibility[joint][2] == pytest.approx(real.visibility[joint][2], abs=0.03), joint
    assert compared >= 8
    assert sim.side_apart == pytest.approx(real.side_apart, abs=0.03)


def test_the_gaussian_noise_of_old_is_not_what_real_tracks_show() -> None:
    """The reason for the profiles: plain 2 px gaussian noise is the same at every speed and
    joint, while the real BlazePose track's ankle at rest is a seventh of its ear in motion."""
    from station.sim.realism import track_noise

    real = _real_noise("kb_swing_1h_igor.jsonl")
    assert real.jitter["ear"][2] > 4 * real.jitter["ankle"][0]
    reps = tuple(RepPlan(frozenset({"too_fast"}), duration=0.8) if k % 2 else RepPlan() for k in range(6))
    trainee = Trainee(Body(), SetPlan(reps=reps, noise_px=2.0), seed=1)
    sim = track_noise([(f.t, f.pose) for f in trainee.frames()])
    assert sim.jitter["ear"][2] < 1.5 * sim.jitter["ankle"][0]
