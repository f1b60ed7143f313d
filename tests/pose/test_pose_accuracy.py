"""The pose engine against references on real photos (``../shared/fixtures``)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from station.int8.gate import TF_IMAGES, TF_TOLERANCE_PX, tf_truth
from station.pose.landmarks import COCO_TO_BLAZEPOSE, LANDMARK_NAMES
from tests.conftest import read_rgb

HARD_LIMIT_PX = 48  # the limit for the one keypoint that may miss 21 px


def test_tf_truth_keypoints(photos: Path, estimator) -> None:
    truth = tf_truth(photos)
    within, total = 0, 0
    for name in TF_IMAGES:
        pose = estimator.process(read_rgb(photos / name), video=False)
        assert pose is not None, name
        got = pose.xy[list(COCO_TO_BLAZEPOSE)]
        err = np.abs(got - truth[name]).max(axis=1)
        for k, e in zip(COCO_TO_BLAZEPOSE, err, strict=True):
            assert e <= HARD_LIMIT_PX, f"{name} {LANDMARK_NAMES[k]} is {e:.1f} px off (limit {HARD_LIMIT_PX})"
        within += int((err <= TF_TOLERANCE_PX).sum())
        total += len(err)
    assert total == 34
    assert within >= 33, f"only {within}/34 COCO keypoints within {TF_TOLERANCE_PX} px"


@pytest.mark.parametrize("name", ["Good_Morning__0.jpg", "Box_Squat__1.jpg", "Standing_Toe_Touches__1.jpg"])
def test_side_view_skeleton_is_plausible(photos: Path, estimator, name: str) -> None:
    """On side-view exercise photos the body is ordered head > hip > ankle, inside the frame."""
    rgb = read_rgb(photos / name)
    pose = estimator.process(rgb, video=False)
    assert pose is not None
    h, w = rgb.shape[:2]
    assert pose.size == (w, h)
    for side in ("left", "right"):
        ankle_y = pose[f"{side}_ankle"].y
        hip_y = pose[f"{side}_hip"].y
        assert hip_y < ankle_y
    assert pose["nose"].y < pose["left_ankle"].y
    assert np.all(pose.xy[:, 0] > -0.1 * w) and np.all(pose.xy[:, 0] < 1.1 * w)
    assert pose.world is not None and pose.world.shape == (33, 3)
    assert 0.5 <= pose.score <= 1.0


def test_nobody_in_a_blank_frame(estimator) -> None:
    blank = np.full((480, 640, 3), 200, np.uint8)
    assert estimator.process(blank, video=False) is None


def test_tracking_skips_the_detector_and_smooths(photos: Path, estimator) -> None:
    """Every fixture photo tracked as a still video for 2 s: after the first frame the detector
    never runs, and in the second second the landmarks sit still. Judged over the window, not one
    frame against another (one frame's move is noise: 4.40 px at frame 5 against 4.35 px at
    frame 1 flipped this test between OpenCV 4.14 and 5.1). The per-frame move of the visible
    landmarks over frames 30-60 of the 8 photos measured median 0.10 / 0.18 px and p95 1.01 /
    0.90 px with OpenCV 5.1 / 4.14 (issue 23); without the One Euro smoothing median 8.1 px and
    p95 25.7 px. The bounds are about three times the measured figures."""
    moves = []
    for path in sorted(photos.glob("*.*")):
        if path.suffix not in (".jpg", ".jpeg", ".png"):
            continue
        rgb = read_rgb(path)
        estimator.reset()
        first = estimator.process(rgb, t=0.0)
        assert first is not None and estimator.timing.detected, path.name
        poses = []
        for i in range(1, 61):
            poses.append(estimator.process(rgb, t=i / 30))
            assert not estimator.timing.detected, f"{path.name}: frame {i} ran the detector while tracking"
        for a, b in itertools.pairwise(poses[29:]):
            moves.append(np.hypot(*(a.xy - b.xy).T)[b.visibility > 0.5].max())
    estimator.reset()
    assert len(moves) == 8 * 30
    assert np.median(moves) <= 0.5, f"median move {np.median(moves):.2f} px"
    assert np.percentile(moves, 95) <= 3.0, f"p95 move {np.percentile(moves, 95):.2f} px"
