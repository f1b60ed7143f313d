"""The spine's rules on what BlazePose's landmarks really show (issue 28): a rounded back, a flexed
neck and the sacrum off the dowel told apart, on rendered drills' evidence (docs/figures.md,
"Spine rules on rendered truth"). Hand-made signals and poses, so each rule is seen alone."""

from __future__ import annotations

import numpy as np
import pytest

from station.coach import thresholds as th
from station.coach.geometry import Line
from station.coach.rules import RepJudge
from station.coach.signals import Baseline, Signals, measure, relative
from station.coach.vocabulary import Contact, FaultCode, Side
from station.config.settings import Settings
from station.pose.landmarks import INDEX, NUM_LANDMARKS, Pose

FPS = 15.0


def gaps(head: float = 0.0, upper_back: float = 0.0, sacrum: float = 0.0) -> dict[Contact, float]:
    return {Contact.HEAD: head, Contact.UPPER_BACK: upper_back, Contact.SACRUM: sacrum}


def judge(frames: list[Signals]) -> tuple[str, ...]:
    """The spine faults of a rep of these frames, one every 1/15 s (wall touched, locked out)."""
    j = RepJudge(Settings(), t_start=0.0)
    for i, sig in enumerate(frames):
        j.observe(i / FPS, sig, wall_contact=True)
    faults, _, _ = j.decide(t_end=3.0, locked_out=True)
    return tuple(str(f) for f in faults)


def still(n: int = 8, *, torso: float = 60.0, **kw) -> list[Signals]:
    """``n`` frames held at the bottom of a hinge (the trunk still)."""
    base = {"hip_flexion": 75.0, "knee_flexion": 10.0, "torso_inclination": torso, "head_spine": 0.0,
            "hip_travel": 0.3, "gaps": gaps(), "head_pitch": 0.0}
    return [Signals(**{**base, **kw}) for _ in range(n)]


def test_a_contact_off_only_while_the_trunk_swings_is_the_landmarks_lag_not_a_fault() -> None:
    # The trunk turning at 150 deg/s (a brisk way down) with the ear read 0.10 off the dowel for
    # 0.4 s, then still on it: the pose filter's lag, not a head off the dowel.
    swing = [s for i in range(6) for s in still(1, torso=20.0 + 10.0 * i, gaps=gaps(head=0.10))]
    assert judge(swing + still(8)) == ()
    # The same gap held while the trunk is still is the head off the dowel.
    assert judge(still(8, gaps=gaps(head=0.10))) == (FaultCode.HEAD_OFF_DOWEL,)


def test_with_the_dowel_the_sacrum_off_and_the_head_fallen_away_is_a_rounded_back() -> None:
    # The sacrum off, the face turned towards the chest and the back of the head come away from the
    # dowel (within the contact tolerance: BlazePose's ear under-reads a hanging head).
    turned = th.ROUNDED_HEAD_PITCH + 7
    assert judge(still(gaps=gaps(sacrum=0.12, head=0.03), head_pitch=turned)) == (FaultCode.ROUNDED_BACK,)
    # The sacrum off with the head held as standing: the dowel tilted off it, the back straight.
    assert judge(still(gaps=gaps(sacrum=0.12, head=0.03), head_pitch=2.0)) == (FaultCode.SACRUM_OFF_DOWEL,)
    # The face's axis turned (a noisy tracker's nose) while the dowel's top presses into the head.
    pressed = gaps(sacrum=0.12, head=-0.06)
    assert judge(still(gaps=pressed, head_pitch=turned)) == (FaultCode.SACRUM_OFF_DOWEL,)


def test_with_the_dowel_the_head_is_off_when_the_ear_leaves_it_too() -> None:
    tol = Settings().contact_tolerance
    ear_at_limit = th.ear_off_dowel(tol)
    assert 0.03 < ear_at_limit < tol  # the ear, nearer the neck's base, moves less than the head's back
    back_off = gaps(head=tol + 0.03)
    assert judge(still(gaps=back_off, ear_gap=ear_at_limit + 0.02)) == (FaultCode.HEAD_OFF_DOWEL,)
    # The back of the head read off only through the face's axis, the ear where it stood: no fault.
    assert judge(still(gaps=back_off, ear_gap=0.0)) == ()


def test_the_hip_landmarks_drift_at_depth_is_not_the_sacrum_off() -> None:
    tol = Settings().contact_tolerance
    assert judge(still(gaps=gaps(sacrum=tol + th.HIP_DRIFT_TORSO / 2))) == ()
    assert judge(still(gaps=gaps(sacrum=tol + th.HIP_DRIFT_TORSO + 0.02))) == (FaultCode.SACRUM_OFF_DOWEL,)


@pytest.mark.parametrize(("head_spine", "head_pitch", "off"), [
    (25.0, 25.0, True),  # the neck flexed about its base: face and ear alike
    (25.0, 2.0, False),  # the ear moved alone: BlazePose's ear wandering on a still head
    (2.0, 25.0, False),  # the face turned alone: a nod of the upper neck
])
def test_without_the_dowel_the_head_is_off_when_the_face_and_the_ear_both_drop(
        head_spine: float, head_pitch: float, off: bool) -> None:
    faults = judge(still(gaps=None, head_spine=head_spine, head_pitch=head_pitch))
    assert faults == ((FaultCode.HEAD_OFF_DOWEL,) if off else ())


# --- the dowel against the body's midline and the back of the head (signals.measure)

def pose(points: dict[str, tuple[float, float]]) -> Pose:
    xy = np.zeros((NUM_LANDMARKS, 2))
    for name, p in points.items():
        xy[INDEX[name]] = p
    return Pose(xy, np.ones(NUM_LANDMARKS), size=(640, 480))


def body(lateral: float = 0.0, *, face: tuple[float, float] = (10.0, 0.0)) -> Pose:
    """Standing facing right with the back on a vertical dowel at x = 0: hip and shoulder 10 px in
    front of it, the ears 25; the near (right) side ``lateral`` px to the right of the midline and
    the far side as far to the left, as a camera off profile sees them; the nose ``face`` from the
    ears' midpoint."""
    pts: dict[str, tuple[float, float]] = {}
    for name, (x, y) in {"shoulder": (10.0, 0.0), "hip": (10.0, 100.0), "ear": (25.0, -20.0),
                         "knee": (15.0, 150.0), "ankle": (10.0, 200.0)}.items():
        pts[f"right_{name}"] = (x + lateral, y)
        pts[f"left_{name}"] = (x - lateral, y)
    pts["nose"] = (25.0 + face[0], -20.0 + face[1])
    return pose(pts)


DOWEL = Line((0.0, -40.0), (0.0, 120.0))


def test_seen_off_profile_the_contacts_are_measured_on_the_midline_where_the_dowel_lies() -> None:
    side_on = measure(body(), Side.RIGHT, Side.RIGHT, DOWEL).dowel_dist
    oblique = measure(body(lateral=12.0), Side.RIGHT, Side.RIGHT, DOWEL).dowel_dist
    assert side_on and oblique
    assert oblique[Contact.UPPER_BACK] == pytest.approx(side_on[Contact.UPPER_BACK])
    # The hips are narrower than the shoulders: moved by their share of the shoulders' shift.
    hips_shift = 12.0 * (1 - th.HIP_PER_SHOULDER_WIDTH)
    assert oblique[Contact.SACRUM] == pytest.approx(side_on[Contact.SACRUM] + hips_shift)


def test_a_head_hanging_along_the_dowel_has_the_back_of_the_head_off_it_though_the_ears_stay() -> None:
    standing = measure(body(), Side.RIGHT, Side.RIGHT, DOWEL)
    base = Baseline.average(Side.RIGHT, Side.RIGHT, [standing])
    assert base.head_depth == pytest.approx(25.0)  # standing, the ears are the head's depth off the dowel
    assert relative(standing, base).gaps[Contact.HEAD] == pytest.approx(0.0)
    # The face turned down along the dowel, the ears where they were: the back of the head, a head's
    # depth behind the ears along the face, now stands a head's depth off the dowel.
    hanging = measure(body(face=(0.0, 10.0)), Side.RIGHT, Side.RIGHT, DOWEL)
    gap = relative(hanging, base).gaps
    assert gap is not None and gap[Contact.HEAD] == pytest.approx(25.0 / 100.0)
    assert gap[Contact.HEAD] > Settings().contact_tolerance
