"""The coach on real people's geometry: reps made by moving between the landmarks that the pose
engine finds on the fixture photos of the start and end of an exercise (no simulator involved)."""

from __future__ import annotations

import pytest

from tests.helpers.pose_checks import REAL_MOVEMENTS, real_movement_is_judged_like_a_coach_would


# The same cases judge an int8 landmark build (station/int8/gate.py, tests/int8/test_int8.py).
@pytest.mark.parametrize(("start", "end", "faults"), REAL_MOVEMENTS)
def test_real_movements_are_judged_like_a_coach_would(photos, estimator, start, end, faults) -> None:
    real_movement_is_judged_like_a_coach_would(photos, estimator, start, end, faults)
