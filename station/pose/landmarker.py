"""Stage 2: 39 landmarks inside a rotated ROI with ``pose_landmark_full.tflite``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from station.pose import interpreter as tfl
from station.pose.roi import Roi

INPUT_SIZE = 256
NUM_OUTPUT_LANDMARKS = 39
HEATMAP_SIZE = 64
REFINE_KERNEL = 7
REFINE_MIN_CONFIDENCE = 0.5

_OFFSETS = np.arange(REFINE_KERNEL) - REFINE_KERNEL // 2
# A float32 scalar keeps the uint8 -> float conversion in float32 (no float64 detour).
_SCALE = np.float32(1.0 / 255.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class RawLandmarks:
    """The model's answer for one ROI, already projected back to frame pixels."""

    xy: np.ndarray  # (39, 2) pixels
    z: np.ndarray  # (39,) at the scale of x
    visibility: np.ndarray  # (39,)
    presence: np.ndarray  # (39,)
    world: np.ndarray  # (39, 3) metres
    flag: float  # probability that a pose is there


def refine_from_heatmap(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Replace each normalised (x, y) by the confidence-weighted mean of a 7x7 heatmap window.

    Vectorised over all landmarks: only the 39 windows go through the sigmoid, not the whole
    64x64x39 map. A landmark whose window never reaches 0.5 keeps its regressed position.
    """
    n = xy.shape[0]
    size = heatmap.shape[0]
    rows = (xy[:, 1] * size).astype(np.intp)[:, None] + _OFFSETS  # (n, 7)
    cols = (xy[:, 0] * size).astype(np.intp)[:, None] + _OFFSETS
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    r = np.clip(rows, 0, size - 1)
    c = np.clip(cols, 0, size - 1)
    flat = (r[:, :, None] * size + c[:, None, :]) * heatmap.shape[2] + np.arange(n)[:, None, None]
    conf = 1.0 / (1.0 + np.exp(-heatmap.reshape(-1)[flat]))
    conf *= inside
    by_row = conf.sum(axis=2)  # (n, 7)
    by_col = conf.sum(axis=1)
    total = by_row.sum(axis=1)
    refine = (conf.max(axis=(1, 2)) >= REFINE_MIN_CONFIDENCE) & (total > 0)
    out = xy.copy()
    if refine.any():
        safe = np.where(total > 0, total, 1.0) * size
        out[refine, 0] = ((by_col * cols).sum(axis=1) / safe)[refine]
        out[refine, 1] = ((by_row * rows).sum(axis=1) / safe)[refine]
    return out


class Landmarker:
    """Runs the landmark model on one ROI of an RGB frame.

        landmarker = Landmarker(model_path, threads=2)
        raw = landmarker.run(rgb_frame, roi)
    """

    def __init__(self, model_path: Any, threads: int = 2, refine: bool = True) -> None:
        self.interpreter = tfl.load(model_path, threads)
        self.refine = refine
        self._input = self.interpreter.get_input_details()[0]["index"]
        by_shape = tfl.outputs_by_shape(self.interpreter)
        self._landmarks = by_shape[(1, NUM_OUTPUT_LANDMARKS * 5)]
        self._flag = by_shape[(1, 1)]
        self._heatmap = by_shape[(1, HEATMAP_SIZE, HEATMAP_SIZE, NUM_OUTPUT_LANDMARKS)]
        self._world = by_shape[(1, NUM_OUTPUT_LANDMARKS * 3)]
        self._buffer = np.empty((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)

    def _prepare(self, rgb: np.ndarray, roi: Roi) -> None:
        cv2.warpAffine(
            rgb, roi.matrix_from(INPUT_SIZE), (INPUT_SIZE, INPUT_SIZE), dst=self._buffer,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
        )
        view = self.interpreter.tensor(self._input)()
        np.multiply(self._buffer, _SCALE, out=view[0], casting="unsafe")
        del view  # the interpreter refuses to run while a view of its memory is alive

    def invoke(self) -> None:
        self.interpreter.invoke()

    def run(self, rgb: np.ndarray, roi: Roi) -> RawLandmarks:
        self._prepare(rgb, roi)
        self.interpreter.invoke()
        flag = float(self.interpreter.get_tensor(self._flag)[0, 0])
        raw = self.interpreter.get_tensor(self._landmarks).reshape(NUM_OUTPUT_LANDMARKS, 5)
        norm = raw[:, :2] / INPUT_SIZE
        if self.refine:
            heatmap = self.interpreter.tensor(self._heatmap)()[0]
            norm = refine_from_heatmap(norm, heatmap)
            del heatmap
        xy = roi.project(norm)
        z = raw[:, 2] / INPUT_SIZE * roi.side
        visibility = _sigmoid(raw[:, 3])
        presence = _sigmoid(raw[:, 4])
        world = self.interpreter.get_tensor(self._world).reshape(NUM_OUTPUT_LANDMARKS, 3).copy()
        c, s = np.cos(roi.rotation), np.sin(roi.rotation)
        wx, wy = world[:, 0].copy(), world[:, 1].copy()
        world[:, 0] = c * wx - s * wy
        world[:, 1] = s * wx + c * wy
        return RawLandmarks(xy, z, visibility, presence, world, flag)
