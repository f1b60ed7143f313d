"""A rendered clip's frames to a video, with a camera's noise: ``python -m tools.render video NAME``.

Runs where OpenCV is (the station's venv). The noise is seeded by the clip's seed, so the video is
the same every time: gaussian sensor noise (``Clip.noise`` 8-bit levels) and a slight blur for a
lens, then MP4 (mp4v) compression.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np


def _read(path: Path) -> np.ndarray:
    img = cv2.imread(str(path))
    if img is None:
        raise ValueError(f"{path}: not an image")
    return img


def encode(folder: Path, out: Path) -> Path:
    """``folder/frames/*.png`` (rendered, with ``folder/truth.json``) -> ``out``; ``out``."""
    truth = json.loads((folder / "truth.json").read_text())
    frames = sorted((folder / "frames").glob("*.png"))
    if not frames:
        raise FileNotFoundError(f"no frames in {folder / 'frames'}")
    rng = np.random.default_rng(truth["seed"])
    h, w = _read(frames[0]).shape[:2]
    fourcc = cv2.VideoWriter.fourcc(*"mp4v")
    writer = cv2.VideoWriter(str(out), fourcc, float(truth["fps"]), (w, h))
    try:
        for path in frames[: len(truth["frames"])]:
            blurred = cv2.GaussianBlur(_read(path).astype(np.float32), (3, 3), 0.6)
            if truth["noise"]:
                blurred = blurred + rng.normal(0.0, truth["noise"], blurred.shape)
            writer.write(np.clip(blurred, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return out
