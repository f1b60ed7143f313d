"""Stage 1: find the person with ``pose_detection.tflite``.

Anchors, box decoding and weighted NMS follow MediaPipe's SSD options for this model
(``blazepose.md``, "Stage 1"). Only the best person is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from station.pose import interpreter as tfl

INPUT_SIZE = 224
STRIDES = (8, 16, 32, 32, 32)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus one interpolated anchor
NUM_KEYPOINTS = 4
IOU_THRESHOLD = 0.3
_SCALE = 2.0 / 255.0  # input values in [-1, 1]


def make_anchors(input_size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES) -> np.ndarray:
    """(N, 2) anchor centres, normalised; layers of equal stride are merged into one grid."""
    centres = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        same = 1
        while layer + same < len(strides) and strides[layer + same] == stride:
            same += 1
        grid = int(np.ceil(input_size / stride))
        ys, xs = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
        cells = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(cells, ANCHORS_PER_LAYER * same, axis=1).reshape(-1, 2))
        layer += same
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class Detection:
    """The best person: score, face box (xc, yc, w, h) and 4 keypoints, all in frame pixels."""

    score: float
    box: np.ndarray
    keypoints: np.ndarray  # (4, 2): mid-hip, full-body point, mid-shoulder, upper-body point


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (xc, yc, w, h) box against many."""
    x0 = np.maximum(box[0] - box[2] / 2, boxes[:, 0] - boxes[:, 2] / 2)
    y0 = np.maximum(box[1] - box[3] / 2, boxes[:, 1] - boxes[:, 3] / 2)
    x1 = np.minimum(box[0] + box[2] / 2, boxes[:, 0] + boxes[:, 2] / 2)
    y1 = np.minimum(box[1] + box[3] / 2, boxes[:, 1] + boxes[:, 3] / 2)
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def best_weighted(scores: np.ndarray, decoded: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted NMS, first cluster only: the top detection merged with those overlapping it."""
    top = int(np.argmax(scores))
    overlap = _iou(decoded[top, :4], decoded[:, :4]) > IOU_THRESHOLD
    overlap[top] = True
    weights = scores[overlap]
    merged = (decoded[overlap] * weights[:, None]).sum(axis=0) / weights.sum()
    return float(scores[top]), merged


class PoseDetector:
    """Runs the detector on a whole RGB frame, letterboxed to 224x224.

        detector = PoseDetector(model_path, threads=2)
        detection = detector.detect(rgb_frame)
    """

    def __init__(self, model_path: Path, threads: int = 2, min_score: float = 0.5) -> None:
        self.interpreter = tfl.load(model_path, threads)
        self.min_score = min_score
        # The score threshold as a logit: sigmoid(x) >= p exactly when x >= log(p / (1 - p)).
        p = min(max(min_score, 1e-9), 1 - 1e-9)
        self._min_logit = float(np.log(p / (1 - p)))
        self.anchors = make_anchors()
        self._input = self.interpreter.get_input_details()[0]["index"]
        by_shape = tfl.outputs_by_shape(self.interpreter)
        n = len(self.anchors)
        self._regressors = by_shape[(1, n, 12)]
        self._scores = by_shape[(1, n, 1)]
        self._buffer = np.empty((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)

    def _prepare(self, rgb: np.ndarray) -> tuple[float, float, float]:
        """Letterbox the frame into the input tensor; returns (side, ox, oy) of the padded square."""
        h, w = rgb.shape[:2]
        side = float(max(w, h))
        ox, oy = (w - side) / 2, (h - side) / 2
        k = side / INPUT_SIZE
        # Tensor index i samples frame index ox + k * i: MediaPipe's corner-to-corner mapping
        # (see Roi.matrix_from), which the landmarks are measured against.
        m = np.array([[k, 0, ox], [0, k, oy]])
        cv2.warpAffine(
            rgb, m, (INPUT_SIZE, INPUT_SIZE), dst=self._buffer,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT, borderValue=0,
        )
        view = self.interpreter.tensor(self._input)()
        # px * 2/255 - 1 in one pass over the pixels.
        cv2.addWeighted(self._buffer, _SCALE, self._buffer, 0.0, -1.0, dst=view[0], dtype=cv2.CV_32F)
        del view  # the interpreter refuses to run while a view of its memory is alive
        return side, ox, oy

    def invoke(self) -> None:
        self.interpreter.invoke()

    def detect(self, rgb: np.ndarray) -> Detection | None:
        """The best person in the frame, or None."""
        side, ox, oy = self._prepare(rgb)
        self.interpreter.invoke()
        # Threshold the raw logits (sigmoid is monotonic) so that only the few anchors that
        # pass are decoded; views avoid copying all 2254 rows out of the interpreter.
        raw = self.interpreter.tensor(self._scores)()[0, :, 0]
        keep = np.flatnonzero(raw >= self._min_logit)
        if keep.size == 0:
            del raw
            return None
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw[keep].astype(np.float64), -100.0, 100.0)))
        del raw
        regs = self.interpreter.tensor(self._regressors)()
        decoded = regs[0, keep].astype(np.float64) * (1.0 / INPUT_SIZE)
        del regs  # the interpreter refuses to run while a view of its memory is alive
        anchors = self.anchors[keep]
        decoded[:, 0:2] += anchors
        decoded[:, 4::2] += anchors[:, :1]
        decoded[:, 5::2] += anchors[:, 1:]
        score, merged = best_weighted(scores, decoded)
        # Normalised letterbox coordinates -> frame pixels.
        box = merged[:4] * side
        box[0] += ox
        box[1] += oy
        kps = merged[4:].reshape(NUM_KEYPOINTS, 2) * side + np.array([ox, oy])
        return Detection(score, box, kps)
