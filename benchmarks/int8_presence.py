"""Presence: does the int8 engine let a leaving person go as fast as the float engine?

    PYTHONPATH=. .venv/bin/python benchmarks/int8_presence.py --held-out /tmp/fedb [--photos 120]

``--held-out`` is a checkout of yuhonas/free-exercise-db: the photos listed in
``calibration/landmark/eval.json`` (never calibrated on). Each photo becomes two clips: 10 still
frames, then it slides out of the frame over 20 frames (right, then left), then 10 empty frames
(grey), as ``tests/int8/test_int8.py``'s slide-outs. For each clip it finds the frame where the
tracker drops the person (the tracking flag falls under ``min_tracking_confidence`` and the
detector runs) and the first frame without a pose, with:

- the float engine on the clean clip (the reference);
- the int8 engine as the station runs it (the ROI hold on) on the clean clip;
- the float engine on the same clip with a camera's sensor noise (Gaussian, sigma 2 grey
  levels, a fixed seed): how far the float engine's own let-go moves for a change of its input
  that no camera avoids.

The pose flag is a score that falls through 0.5 as the person leaves; on the frames near that
point any change of the input moves it across (``calibration/landmark/sensitivity.md``, third
pass), so no engine lets go on the same frame every time. Prints, for both comparisons, how many
clips let go on the same frame, earlier and later, by how much, and the mean difference.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from station.camera.files import read_image
from station.config.paths import models_dir
from station.int8 import calibset
from station.pose.bench import bar
from station.pose.blazepose import PoseEstimator

STILL, LEAVE, EMPTY = 10, 20, 10
NOISE_SIGMA = 2.0  # grey levels: the still-photo jitter figures use the same


def slide_out(rgb: np.ndarray, direction: int) -> list[np.ndarray]:
    """Still, then sliding out of the frame (``direction`` 1: right, -1: left), then empty."""
    h, w = rgb.shape[:2]
    frames = [rgb] * STILL
    for i in range(LEAVE + EMPTY):
        m = np.float32([[1, 0, direction * 1.2 * w * min(1.0, (i + 1) / LEAVE)], [0, 1, 0]])
        frames.append(cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_CONSTANT,
                                     borderValue=(128, 128, 128)))
    return frames


def let_go(estimator: PoseEstimator, frames: list[np.ndarray]) -> tuple[int, int] | None:
    """(frame the track is dropped, first frame without a pose) after the still part; None when
    the still person was not tracked (the clip tells nothing)."""
    estimator.reset()
    dropped = gone = len(frames)
    for i, rgb in enumerate(frames):
        tracking = estimator.tracked_roi is not None
        pose = estimator.process(rgb, t=i / 30)
        if i < STILL and pose is None:
            return None
        if i >= STILL and tracking and estimator.timing.detected:
            dropped = min(dropped, i)
        if i >= STILL and pose is None:
            gone = min(gone, i)
    return dropped, gone


def noisy(frames: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    return [np.clip(f + rng.normal(0, NOISE_SIGMA, f.shape), 0, 255).astype(np.uint8) for f in frames]


def photo_paths(held_out: Path | None, folder: Path | None) -> list[Path]:
    """The held-out photos of ``eval.json`` in a checkout, or every photo in ``folder``."""
    if held_out is not None:
        return [held_out / n for n in calibset.held_out_photos()]
    assert folder is not None
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def describe(label: str, diffs: list[int]) -> None:
    count = Counter(diffs)
    later = sum(n for d, n in count.items() if d > 0)
    earlier = sum(n for d, n in count.items() if d < 0)
    print(f"  {label}: {len(diffs)} clips, same frame {count[0]}, earlier {earlier}, "
          f"later {later} ({100 * later / len(diffs):.1f} %; by 3 frames or more "
          f"{sum(n for d, n in count.items() if d >= 3)}), mean {np.mean(diffs):+.2f} frames")
    print(f"    frames (count): {dict(sorted(count.items()))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--held-out", type=Path, help="a checkout of yuhonas/free-exercise-db")
    where.add_argument("--photos-dir", type=Path, help="instead: every photo in this folder")
    parser.add_argument("--photos", type=int, default=120, help="at most this many photos")
    args = parser.parse_args()
    paths = photo_paths(args.held_out, args.photos_dir)[: args.photos]
    missing = [p for p in paths if not p.exists()]
    if missing or not paths:
        print(f"error: no photos, or {len(missing)} missing (e.g. {missing[:1]})", file=sys.stderr)
        return 2
    full = PoseEstimator.from_folder(models_dir(None), 2, segmentation=False)
    int8 = PoseEstimator.from_folder(models_dir(None), 2, pose_model="full_int8", segmentation=False)
    rng = np.random.default_rng(0)
    diffs: dict[str, list[int]] = {k: [] for k in ("int8 drop", "int8 gone", "noise drop", "noise gone")}
    for n, path in enumerate(paths):
        rgb = read_image(path)
        for direction in (1, -1):
            frames = slide_out(rgb, direction)
            ref, q, f = let_go(full, frames), let_go(int8, frames), let_go(full, noisy(frames, rng))
            if ref is None or q is None or f is None:
                continue
            for key, got in (("int8", q), ("noise", f)):
                diffs[f"{key} drop"].append(got[0] - ref[0])
                diffs[f"{key} gone"].append(got[1] - ref[1])
        bar(n + 1, len(paths), unit="photos")
    print("let-go frame minus the float engine's on the clean clip (negative: earlier)")
    for what, key in (("track dropped", "drop"), ("first frame without a pose", "gone")):
        print(f" {what}:")
        describe("int8 engine (as the station runs it)", diffs[f"int8 {key}"])
        describe(f"float engine, sensor noise sigma {NOISE_SIGMA:g}", diffs[f"noise {key}"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
