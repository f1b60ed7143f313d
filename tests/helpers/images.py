"""Photos as the pose engine reads them, and the rounding window a verdict on one photo is judged
over."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# How many copies a photo's rounding window adds to the photo itself (see rounding_window).
WINDOW_COPIES = 12


def read_rgb(path: Path) -> np.ndarray:
    """The image at ``path`` as RGB, read as the station reads image files."""
    from station.camera.files import read_image

    return read_image(path)


def rounding_window(rgb: np.ndarray, copies: int = WINDOW_COPIES, seed: int = 0) -> list[np.ndarray]:
    """The photo and ``copies`` copies of it with every channel of every pixel moved by -1, 0 or
    +1 grey level at random (seeded): the frames a verdict on one photo is judged over.

    One photo through the model is one noisy number: the model's input is a warpAffine crop, and
    OpenCV's rounding in it changes between builds (4.11 and 4.14 against 5.1: 4 % of the crop's
    values differ, by 1 grey level, 0.05 % by 2-3; JPEG decoding is identical). The copies move
    every value, a wider drift than any of those builds, so a verdict that holds for most of the
    window does not hang on one build's rounding.
    """
    rng = np.random.default_rng(seed)
    wide = rgb.astype(np.int16)
    return [rgb] + [np.clip(wide + rng.integers(-1, 2, rgb.shape, dtype=np.int16), 0, 255).astype(np.uint8)
                    for _ in range(copies)]
