"""The model files' mapped pages go back to the kernel once both models have run (issue 29's
memory), and the poses stay exactly what they were."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from station.pose.blazepose import PoseEstimator
from tests.helpers.paths import FIXTURES


def mapped_kb(folder: Path) -> int:
    """This process's resident kB in mappings of the model files in ``folder`` (/proc/self/smaps;
    other tests' estimators in this process may map other copies)."""
    total = 0
    where = str(folder.resolve())
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for block in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", smaps.read()):
            head = block.split("\n", 1)[0].rstrip()
            if head.endswith(".tflite") and where in head:
                total += int(re.search(r"\nRss:\s+(\d+)", block).group(1))
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="madvise and /proc/self/smaps are Linux's")
def test_model_pages_are_released_once_a_person_was_found_and_poses_do_not_change(model_folder) -> None:
    photo = FIXTURES / "photos" / "Good_Morning__1.jpg"
    if not photo.exists():
        pytest.skip(f"the shared fixtures are not at {FIXTURES}")
    rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    first = PoseEstimator.from_folder(model_folder)
    empty = np.zeros_like(rgb)
    assert first.process(empty, video=False) is None
    before = mapped_kb(model_folder)
    assert before > 1000  # the detector's file at least, resident while nothing has been packed for good
    kept = first.process(rgb, video=False)
    assert kept is not None
    assert mapped_kb(model_folder) == 0  # both files' pages given back
    for _ in range(5):
        again = first.process(rgb, video=False)
        assert again is not None and np.array_equal(again.xy, kept.xy)
    assert mapped_kb(model_folder) < before  # nothing the interpreters read came back
