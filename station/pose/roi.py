"""The rotated square region of interest the landmark model looks at.

Both the detector's keypoints and the tracked auxiliary landmarks give two points: a centre
and a point that sets size and rotation. The alignment rule and the 1.25 scale are
MediaPipe's (``blazepose.md``, "Detection -> ROI").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

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
        c, s, ox, oy = self._terms
        k = 1.0 / out_size
        return np.array([[c * k, -s * k, ox], [s * k, c * k, oy]])

    @cached_property
    def to_frame(self) -> np.ndarray:
        """(3, 2): ROI-normalised points ``p`` (N, 2) map to frame pixels as
        ``p @ to_frame[:2] + to_frame[2]`` (rotate, scale by the side, move to the centre)."""
        c, s, ox, oy = self._terms
        return np.array([[c, s], [-s, c], [ox, oy]])

    @cached_property
    def _terms(self) -> tuple[float, float, float, float]:
        # Plain floats: building the crop's matrix from them is faster than from an array,
        # and the crop runs on every frame.
        c, s = math.cos(self.rotation) * self.side, math.sin(self.rotation) * self.side
        # The ROI's corner (0, 0): the centre minus half a side along both rotated axes.
        return c, s, self.cx - 0.5 * (c - s), self.cy - 0.5 * (s + c)

    def project(self, normalized_xy: np.ndarray) -> np.ndarray:
        """ROI-normalised (N, 2) points in [0, 1] -> frame pixels."""
        m = self.to_frame
        return normalized_xy @ m[:2] + m[2]


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roi_from_points(centre: np.ndarray, scale_point: np.ndarray) -> Roi:
    """MediaPipe's alignment: side = 2 * distance, rotation puts the scale point straight up."""
    dx = float(scale_point[0] - centre[0])
    dy = float(scale_point[1] - centre[1])
    rotation = normalize_radians(math.pi / 2 - math.atan2(-dy, dx))
    raw = 2.0 * math.hypot(dx, dy)
    return Roi(float(centre[0]), float(centre[1]), raw * ROI_SCALE, rotation, raw)
