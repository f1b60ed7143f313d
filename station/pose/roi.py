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

# Hysteresis of the tracking ROI (the int8 model's engine): a new ROI that differs from the one in
# use by less than these (translation along the new ROI's axes and change of side, as fractions of
# the new side; turn in radians) is not taken. The int8 model's answer moves by about its own error
# (~1 px) for any change of its crop, however small (a 0.01 px move: 0.14 % of the side, the float
# model's 0.008 %), and in tracking that answer sets the next crop, so a still person never
# settles. 0.005 of the side is about one pixel of the model's 256-pixel input (1/256 = 0.0039);
# 0.5 deg moves the crop's corners by 1.6 input pixels. Measured (calibration/landmark/
# sensitivity.md, the hold's sweep, on the int8 model before the video frames): 0.005 let still
# photos settle with agreement on moving clips unchanged (0.259 vs 0.260 % median), no person
# let go later; 0.01-0.05 moved the int8 engine further from the float one on moving clips
# (0.27-0.37 %) and let a person go up to 4 frames later.
# MediaPipe keeps a tracked ROI the same way in its holistic hand tracker (RoiTrackingCalculator,
# mediapipe/modules/holistic_landmark: 0.2 of the side, 0.4, 40 deg, for a coarse re-crop net);
# its pose graph has no hold, so the float engine keeps none (``PoseEstimator.hold_roi``).
HOLD_TRANSLATION = 0.005
HOLD_SCALE = 0.005
HOLD_ROTATION = math.radians(0.5)


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

    def holds(self, new: Roi) -> bool:
        """Whether this ROI stays in use although tracking proposes ``new`` (see ``HOLD_*``)."""
        c, s = math.cos(new.rotation), math.sin(new.rotation)
        dx, dy = self.cx - new.cx, self.cy - new.cy
        along, across = dx * c + dy * s, dy * c - dx * s  # in the new ROI's axes
        limit = HOLD_TRANSLATION * new.side
        turn = abs(normalize_radians(self.rotation - new.rotation))
        return (abs(along) <= limit and abs(across) <= limit
                and abs(self.side - new.side) <= HOLD_SCALE * new.side and turn <= HOLD_ROTATION)

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
