"""The small grey frame a camera gives beside its picture, for the station's motion gate
(:mod:`station.runtime.rest`): the picture scaled down 16 times each way (80x45 from 1280x720).

On a Pi it comes from Picamera2's low-resolution ("lores") stream, scaled by the ISP at no CPU cost
(:func:`small_from_luma` only averages its Y plane down); elsewhere from the RGB frame itself
(:func:`small_grey`), which costs some 0.2 ms a frame here.

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
# Every 8th row and 4th column of the frame, then averaged 2x4: 8 samples a cell, not 256. A row is
# read whole from memory whatever is taken of it (3 bytes a pixel, 64-byte cache lines), so the rows
# are what cost: every 8th is 1/8 of the frame's memory (some 0.2 ms a frame on this x86 machine).
ROW_STEP, COLUMN_STEP = 8, 4


def small_grey(rgb: np.ndarray) -> np.ndarray:
    """The gate's small grey frame from an RGB camera frame: (H/16, W/16) uint8.

    Green stands in for grey (it carries most of the luma: BT.601 weighs it 0.587), read at
    every 8th row and 4th column (:data:`ROW_STEP`, :data:`COLUMN_STEP`) before the average.

        >>> small_grey(np.zeros((720, 1280, 3), np.uint8)).shape
        (45, 80)
    """
    h, w = rgb.shape[:2]
    return block_mean(rgb[::ROW_STEP, ::COLUMN_STEP, 1], (max(1, w // SCALE), max(1, h // SCALE)))


def small_from_luma(y: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The gate's small grey frame from a luma plane (the lores stream's Y) for a camera frame of
    ``size`` (width, height): the same (H/16, W/16) as :func:`small_grey` gives."""
    w, h = size
    return block_mean(y, (max(1, w // SCALE), max(1, h // SCALE)))


def block_mean(grey: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``grey`` averaged down to ``size`` (width, height) over whole blocks (edge rows and columns
    that make no whole block are left out).

    In numpy, not OpenCV: an OpenCV call wakes its thread pool, whose threads spin a while before
    they sleep; 30 times a second that cost a resting station more than the work (2.4 % of one
    core here, measured with OPENCV_FOR_THREADS_NUM=1 against without).

        >>> block_mean(np.arange(16, dtype=np.uint8).reshape(4, 4), (2, 2)).tolist()
        [[3, 5], [11, 13]]
    """
    w, h = size
    ry, rx = grey.shape[0] // h, grey.shape[1] // w
    if ry == 0 or rx == 0:  # a frame smaller than the small frame: stretched (never a camera's)
        return cv2.resize(np.ascontiguousarray(grey), (w, h), interpolation=cv2.INTER_NEAREST)
    sums = grey[: h * ry, : w * rx].reshape(h, ry, w, rx).sum(axis=(1, 3), dtype=np.uint32)
    return ((sums + ry * rx // 2) // (ry * rx)).astype(np.uint8)
