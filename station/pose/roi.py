"""The rotated square region of interest the landmark model looks at.

Both the detector's keypoints and the tracked auxiliary landmarks give two points: a centre
and a point that sets size and rotation. The alignment rule and the 1.25 scale are
MediaPipe's (``blazepose.md``, "Detection -> ROI").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ROI_SCALE = 1.25


@dataclass(frozen=True)
class Roi:
    """A square in frame pixels: centre, side (after the 1.25 scale), rotation in radians.

    Frame coordinates are pixel indices (pixel centres at integers), as MediaPipe's are.

    ``raw_side`` is the side before scaling, the person's size for smoothing.
    """

    cx: float
    cy: float
    side: float
    rotation: float
    raw_side: float

    def matrix_from(self, out_size: int) -> np.ndarray:
        """The 2x3 map from output pixel indices (0..out_size-1) to frame pixel indices.

        MediaPipe's convention (ImageToTensorCalculator on the CPU maps the ROI's corners onto
        the tensor's corners 0 and out_size, pixel indices as coordinates): output index ``u``
        is the ROI-normalised coordinate ``u / out_size``. Sampling at pixel centres instead
        moved every landmark by half an input pixel and put the port 2-5 px off MediaPipe.
        """
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        k = self.side / out_size
        rot = np.array([[c, -s], [s, c]])
        offset = np.array([self.cx, self.cy]) - rot @ np.array([self.side / 2, self.side / 2])
        return np.hstack([rot * k, offset[:, None]])

    def project(self, normalized_xy: np.ndarray) -> np.ndarray:
        """ROI-normalised (N, 2) points in [0, 1] -> frame pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        d = (normalized_xy - 0.5) * self.side
        out = np.empty_like(d)
        out[:, 0] = c * d[:, 0] - s * d[:, 1] + self.cx
        out[:, 1] = s * d[:, 0] + c * d[:, 1] + self.cy
        return out


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roi_from_points(centre: np.ndarray, scale_point: np.ndarray) -> Roi:
    """MediaPipe's alignment: side = 2 * distance, rotation puts the scale point straight up."""
    dx = float(scale_point[0] - centre[0])
    dy = float(scale_point[1] - centre[1])
    rotation = normalize_radians(math.pi / 2 - math.atan2(-dy, dx))
    raw = 2.0 * math.hypot(dx, dy)
    return Roi(float(centre[0]), float(centre[1]), raw * ROI_SCALE, rotation, raw)
