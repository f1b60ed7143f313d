"""The coach on real people's geometry: reps made by moving between the landmarks that the pose
engine finds on the fixture photos of the start and end of an exercise (no simulator involved)."""

from __future__ import annotations

import numpy as np
import pytest

from station.coach.coach import Coach
from station.coach.events import RepFinished
from station.pose.landmarks import Pose
from station.settings import Settings

FPS = 30


def rep_frames(a: Pose, b: Pose, reps: int = 2, seed: int = 0) -> list[tuple[float, Pose]]:
    """Stand still, then ``reps`` times ease from a to b, hold, ease back, stand; 1 px noise."""
    rng = np.random.default_rng(seed)
    vis = np.minimum(a.visibility, b.visibility)
    frames: list[tuple[float, Pose]] = []

    def at(u: float) -> None:
        xy = a.xy + (b.xy - a.xy) * u + rng.normal(0, 1.0, a.xy.shape)
        frames.append((len(frames) / FPS, Pose(xy, vis, size=a.size)))

    for _ in range(int(1.5 * FPS)):
        at(0.0)
    for _ in range(reps):
        for k in range(int(1.2 * FPS)):
            at((1 - np.cos(np.pi * k / (1.2 * FPS))) / 2)
        for _ in range(int(0.5 * FPS)):
            at(1.0)
        for k in range(int(1.2 * FPS)):
            at((1 + np.cos(np.pi * k / (1.2 * FPS))) / 2)
        for _ in range(FPS):
            at(0.0)
    return frames


# The same cases judge the int8 landmark model (tests/test_int8.py).
REAL_MOVEMENTS = [
    # The good morning's knee bends 39 deg at the bottom, 27 beyond standing: more than the
    # drill's soft knees (15-20), short of a squat.
    ("Good_Morning__0.jpg", "Good_Morning__1.jpg", {"knees_too_bent"}),
    ("Box_Squat__0.jpg", "Box_Squat__1.jpg", {"squat"}),
    # The toe touch's hips travel 0.26 torso lengths: past the uncalibrated wall (0.2).
    ("Standing_Toe_Touches__0.jpg", "Standing_Toe_Touches__1.jpg", {"rounded_back"}),
]


@pytest.mark.parametrize(("start", "end", "faults"), REAL_MOVEMENTS)
def test_real_movements_are_judged_like_a_coach_would(photos, estimator, start, end, faults) -> None:
    from station.camera.files import read_image

    a = estimator.process(read_image(photos / start), video=False)
    b = estimator.process(read_image(photos / end), video=False)
    coach = Coach(Settings())  # no switch: the hips' travel stands in for the wall
    reps = []
    for t, pose in rep_frames(a, b):
        reps += [e for e in coach.step(t, pose, None, None).events if isinstance(e, RepFinished)]
    assert [set(r.faults) for r in reps] == [faults, faults]
