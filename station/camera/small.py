"""The small grey frame a camera gives beside its picture, for the station's motion gate
(:mod:`station.runtime.rest`): the picture scaled down 16 times each way (80x45 from 1280x720).

On a Pi it comes from Picamera2's low-resolution ("lores") stream, scaled by the ISP at no CPU cost
(:func:`small_from_luma` only averages its Y plane down); elsewhere from the RGB frame itself
(:func:`small_grey`), which costs some 0.1 ms a frame.

    >>> import numpy as np
    >>> small_grey(np.zeros((720, 1280, 3), np.uint8)).shape
    (45, 80)
    >>> small_from_luma(np.zeros((180, 320), np.uint8), (1280, 720)).shape
    (45, 80)
"""

from __future__ import annotations

import cv2
import numpy as np

# The small frame is the camera frame scaled down 16 times each way (80x45 from 1280x720): one cell
# is 16x16 px, so a hand at 3 m (about 10x20 cm, some 30x60 px through the Camera Module 3 Wide at
# 1280 px) covers several cells.
SCALE = 16
SAMPLE = 4  # every 4th pixel of the frame, then a 4x4 average: 16 samples a cell, not 256 (cheap)


def small_grey(rgb: np.ndarray) -> np.ndarray:
    """The gate's small grey frame from an RGB camera frame: (H/16, W/16) uint8.

    Green stands in for grey (it carries most of the luma: BT.601 weighs it 0.587), and only
    every 4th pixel each way is read before the 4x4 average: 1/16 of the frame's memory is touched.

        >>> small_grey(np.zeros((720, 1280, 3), np.uint8)).shape
        (45, 80)
    """
    h, w = rgb.shape[:2]
    sampled = rgb[::SAMPLE, ::SAMPLE, 1]
    return cv2.resize(sampled, (max(1, w // SCALE), max(1, h // SCALE)), interpolation=cv2.INTER_AREA)


def small_from_luma(y: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The gate's small grey frame from a luma plane (the lores stream's Y) for a camera frame of
    ``size`` (width, height): the same (H/16, W/16) as :func:`small_grey` gives."""
    w, h = size
    return cv2.resize(y, (max(1, w // SCALE), max(1, h // SCALE)), interpolation=cv2.INTER_AREA)
