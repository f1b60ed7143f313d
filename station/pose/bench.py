"""``station bench``: how far the pipeline is from its floor, the bare model invokes.

Measurements are interleaved (one of each kind per round) so that a noisy machine slows
all of them alike and the ratios stay fair. Medians are reported.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, ParamSpec

import numpy as np

from station.pose.blazepose import PoseEstimator

WARMUP = 5
PROGRESS_EVERY = 20
P = ParamSpec("P")


def _timed(fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> float:
    """Milliseconds that ``fn(*args, **kwargs)`` takes."""
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000


def run(
    estimator: PoseEstimator,
    images: list[np.ndarray],
    frames: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Benchmark figures as in ``station bench --json``."""
    if not images:
        raise ValueError("bench needs at least one image")
    samples: dict[str, list[float]] = {
        "det": [], "lm": [], "track": [], "detect": [], "crop": [], "model": [], "decode": [],
        "rest": [],
    }
    t = 0.0
    # Each image is tracked as a still video of its own; switching images resets the tracker.
    per_image = max(1, frames // len(images))
    done = 0
    for i in range(frames + WARMUP):
        image = images[(i // per_image) % len(images)]
        if i % per_image == 0:
            estimator.reset()
            estimator.process(image, t=t)  # acquire the person: the next frames track
        t += 1 / 30
        track = _timed(estimator.process, image, t=t, video=True)
        tracked = not estimator.timing.detected
        stages = estimator.landmarker.stage_times
        detect = _timed(estimator.process, image, video=False)
        # The interpreters still hold this frame's inputs: time the bare invokes on them.
        det = _timed(estimator.detector.invoke)
        lm = _timed(estimator.landmarker.invoke)
        if i < WARMUP:
            continue
        samples["det"].append(det)
        samples["lm"].append(lm)
        samples["detect"].append(detect)
        if tracked:
            samples["track"].append(track)
            samples["crop"].append(stages.crop)
            samples["model"].append(stages.model)
            samples["decode"].append(stages.decode)
            samples["rest"].append(track - stages.crop - stages.model - stages.decode)
        done += 1
        # Drawing the bar between frames would push the pipeline's code out of the caches and
        # bill that to the next frame: draw it every few frames only.
        if progress and (done % PROGRESS_EVERY == 0 or done == frames):
            progress(done, frames)
    med = {k: (statistics.median(v) if v else float("nan")) for k, v in samples.items()}
    return {
        "frames": frames,
        "threads": estimator.threads,
        "invoke_ms": {"detector": round(med["det"], 3), "landmarks": round(med["lm"], 3)},
        "frame_ms": {"tracking": round(med["track"], 3), "detection": round(med["detect"], 3)},
        # Where a tracking frame's time goes: the crop into the model's input, the model inside
        # the pipeline, decoding its outputs, and the rest (smoothing, the next ROI, bookkeeping).
        "tracking_split_ms": {k: round(med[k], 3) for k in ("crop", "model", "decode", "rest")},
        "ratios": {
            "tracking_vs_landmark_invoke": round(med["track"] / med["lm"], 3),
            "detection_vs_both_invokes": round(med["detect"] / (med["det"] + med["lm"]), 3),
        },
    }


def bar(done: int, total: int, width: int = 30, unit: str = "frames") -> None:
    """A progress bar on stderr."""
    filled = int(width * done / total)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
