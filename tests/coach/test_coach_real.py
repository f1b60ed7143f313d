"""The coach on real people's geometry: reps made by moving between the landmarks that the pose
engine finds on the fixture photos of the start and end of an exercise (no simulator involved)."""

from __future__ import annotations

import pytest

from station.coach.coach import Coach
from station.coach.events import RepFinished
from station.config.settings import Settings
from station.int8 import gate as int8_gate
from station.int8.gate import rep_frames

# The same cases judge an int8 landmark build (station/int8/gate.py, tests/test_int8.py).
REAL_MOVEMENTS = [(a, b, set(f)) for a, b, f in int8_gate.REAL_MOVEMENTS]


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
