"""The pose engine's parts on numbers (no model needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from station.config.settings import Settings, SettingsError, default_threads
from station.pose.detector import make_anchors
from station.pose.landmarker import refine_from_heatmap
from station.pose.landmarks import LANDMARK_NAMES, Pose
from station.pose.roi import ROI_SCALE, roi_from_points
from station.pose.smoothing import LowPass, OneEuro


def test_anchor_layout() -> None:
    anchors = make_anchors()
    assert anchors.shape == (2254, 2)
    assert np.allclose(anchors[0], [0.5 / 28, 0.5 / 28]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[2], [1.5 / 28, 0.5 / 28])
    assert np.allclose(anchors[-1], [6.5 / 7, 6.5 / 7])


def test_roi_alignment() -> None:
    # Scale point straight above the centre: no rotation; side = 2 * distance * 1.25.
    roi = roi_from_points(np.array([100.0, 200.0]), np.array([100.0, 150.0]))
    assert roi.rotation == pytest.approx(0.0)
    assert roi.side == pytest.approx(100 * ROI_SCALE)
    # Scale point to the right: the body lies along +x, rotation +90 degrees.
    roi = roi_from_points(np.array([0.0, 0.0]), np.array([10.0, 0.0]))
    assert roi.rotation == pytest.approx(math.pi / 2)
    # Projecting the ROI's top centre lands on the scale point's side.
    top = roi.project(np.array([[0.5, 0.5 - 1 / (2 * ROI_SCALE)]]))[0]
    assert np.allclose(top, [10.0, 0.0], atol=1e-9)


def test_roi_matrix_agrees_with_projection() -> None:
    roi = roi_from_points(np.array([320.0, 240.0]), np.array([300.0, 100.0]))
    m = roi.matrix_from(256)
    for u, v in ((0, 0), (255, 0), (128, 200)):
        index_px = m @ np.array([u, v, 1.0])
        projected = roi.project(np.array([[u / 256, v / 256]]))[0]
        assert np.allclose(index_px, projected)
    # The tensor's corner (0, 0) is the ROI's corner, as MediaPipe maps it.
    square = roi_from_points(np.array([100.0, 100.0]), np.array([100.0, 60.0]))
    assert np.allclose(square.matrix_from(256) @ np.array([0, 0, 1.0]), [50.0, 50.0])


def test_heatmap_refinement() -> None:
    heat = np.full((64, 64, 2), -10.0, np.float32)
    heat[20, 30, 0] = 10.0  # a confident peak for landmark 0 at row 20, col 30
    heat[20, 31, 0] = 10.0
    xy = np.array([[30.2 / 64, 20.4 / 64], [0.5, 0.5]])
    out = refine_from_heatmap(xy, heat)
    assert out[0] == pytest.approx([30.5 / 64, 20 / 64], abs=1e-4)
    assert np.allclose(out[1], xy[1])  # nothing confident: left alone


def _refine_one_by_one(xy: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The refinement written plainly, one landmark and one cell at a time (blazepose.md)."""
    size, out = heat.shape[0], xy.copy()
    for i, (x, y) in enumerate(xy):
        col, row = int(x * size), int(y * size)
        if col < 0 or col >= size or row < 0:
            continue
        total = wcol = wrow = top = 0.0
        for r in range(max(0, row - 3), min(size, row + 4)):
            for c in range(max(0, col - 3), min(size, col + 4)):
                conf = 1 / (1 + math.exp(-float(heat[r, c, i])))
                total, wcol, wrow, top = total + conf, wcol + c * conf, wrow + r * conf, max(top, conf)
        if top >= 0.5 and total > 0:
            out[i] = (wcol / size / total, wrow / size / total)
    return out


@pytest.mark.parametrize("spread", [(0.1, 0.9), (-0.1, 1.1)])  # inside, and over the edges
def test_heatmap_refinement_matches_the_plain_loop(spread: tuple[float, float]) -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        heat = rng.normal(-2, 3, (64, 64, 39)).astype(np.float32)
        xy = rng.uniform(*spread, (39, 2))
        assert np.allclose(refine_from_heatmap(xy, heat), _refine_one_by_one(xy, heat), atol=1e-5)


def test_one_euro_follows_and_smooths() -> None:
    f = OneEuro(min_cutoff=1.0, beta=0.0)
    out = [f(i / 30, np.array([0.0 if i < 10 else 1.0]))[0] for i in range(60)]
    assert out[9] == 0.0
    assert 0.0 < out[10] < 1.0  # a step is smoothed
    assert out[-1] == pytest.approx(1.0, abs=1e-3)  # and followed
    assert f(1.0, np.array([5.0]))[0] == 5.0  # time going backwards: passed through
    lp = LowPass(0.1)
    assert lp(np.array([0.0]))[0] == 0.0
    assert lp(np.array([1.0]))[0] == pytest.approx(0.1)


def test_pose_dict_round_trip() -> None:
    xy = np.arange(66, dtype=float).reshape(33, 2)
    pose = Pose(xy, np.full(33, 0.5), size=(640, 480))
    d = pose.to_dict()
    assert list(d) == list(LANDMARK_NAMES)
    back = Pose.from_dict(d, size=(640, 480))
    assert np.allclose(back.xy, xy) and np.allclose(back.visibility, 0.5)
    with pytest.raises(ValueError, match="unknown landmark"):
        Pose.from_dict({"tail": [1, 2, 3]})
    with pytest.raises(ValueError):
        Pose(np.zeros((10, 2)), np.zeros(10))


def test_settings_validation_is_all_or_nothing() -> None:
    s = Settings()
    with pytest.raises(SettingsError) as err:
        s.changed(pose_threads=3, min_detection_confidence=2.0, nonsense=1)
    assert set(err.value.errors) == {"min_detection_confidence", "nonsense"}
    assert s.pose_threads == default_threads()  # refused changes leave the default (one per core)
    assert s.changed(pose_threads="3").pose_threads == 3
    with pytest.raises(SettingsError, match="whole number"):
        s.changed(pose_threads=2.5)


def test_roi_hold_takes_small_changes_only_measured_along_the_new_rois_axes() -> None:
    from dataclasses import replace

    from station.pose.roi import HOLD_ROTATION, HOLD_SCALE, HOLD_TRANSLATION, Roi

    held = Roi(400.0, 300.0, 800.0, math.radians(90), 640.0)  # turned a quarter: axes swap
    step = HOLD_TRANSLATION * 800.0
    assert held.holds(held)
    assert held.holds(replace(held, cx=held.cx + 0.9 * step, cy=held.cy - 0.9 * step))
    assert not held.holds(replace(held, cx=held.cx + 1.1 * step))
    assert not held.holds(replace(held, cy=held.cy + 1.1 * step))
    assert held.holds(replace(held, side=800.0 * (1 + 0.9 * HOLD_SCALE)))
    assert not held.holds(replace(held, side=800.0 * (1 + 1.1 * HOLD_SCALE)))
    assert held.holds(replace(held, rotation=held.rotation - 0.9 * HOLD_ROTATION))
    assert not held.holds(replace(held, rotation=held.rotation + 1.1 * HOLD_ROTATION))
    # Angles wrap: a turn from just below +pi to just above -pi is small.
    back = Roi(0.0, 0.0, 100.0, math.pi - 0.1 * HOLD_ROTATION, 80.0)
    assert back.holds(replace(back, rotation=-math.pi + 0.1 * HOLD_ROTATION))
