"""The agreement gate for an int8 landmark model whose bytes are not the recorded ones.

The recorded sha256 (:data:`station.pose.models.LANDMARKER_INT8`) is what the locked toolchain
(``requirements/quantize.txt``) builds; every int8 figure in docs/figures.md was measured on those
bytes. Other library versions (a newer OpenCV, quantizer or LiteRT) build other bytes. Such a
build is not refused out of hand: it must agree with the verified float engine as issue 18's
gates measured it, on the labelled real photos (``../shared/fixtures/photos``):

- the 33 landmarks' median distance to the float engine's, over the photos, at most
  :data:`MEDIAN_LIMIT_PCT` of the image diagonal;
- at least :data:`TF_MIN_WITHIN` of TensorFlow's 34 COCO keypoints within its own test's 21 px;
- no coaching difference: the view, phase and spine of every labelled photo, and the faults of
  the real movements made from their landmarks (:data:`REAL_MOVEMENTS`), as with the float model.

    >>> Agreement(0.09, 0.9, 8, 33, 34, []).passed
    True
    >>> Agreement(0.45, 2.1, 8, 33, 34, ["Box_Squat__1.jpg spine: neutral -> rounded"]).passed
    False
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from station.pose.landmarks import COCO_TO_BLAZEPOSE, Pose

if TYPE_CHECKING:
    from station.coach.events import RepFinished

# Issue 18's gates, measured then on the recorded build (docs/figures.md, "The int8 landmark model").
MEDIAN_LIMIT_PCT = 0.3  # median landmark distance to the float engine, % of the image diagonal
TF_IMAGES = ("tf_image1.png", "tf_image2.jpeg")
TF_TOLERANCE_PX = 21  # TensorFlow's own Raspberry Pi example test (L-infinity per keypoint)
TF_MIN_WITHIN = 33  # of 34: the crossed wrist of tf_image2 misses for the float engine and MediaPipe too
PHOTO_TYPES = (".jpg", ".jpeg", ".png")
# Where the labelled photos sit beside a source checkout (as CI has them); --photos elsewhere.
DEFAULT_PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "photos"

# Reps made by easing between the landmarks of an exercise's start and end photos (no simulator),
# with the faults a coach names. The good morning's knee bends 39 deg at the bottom, 27 beyond
# standing: more than the drill's soft knees (15-20), short of a squat. The toe touch's hips travel
# 0.26 torso lengths: past the uncalibrated wall (0.2).
REAL_MOVEMENTS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("Good_Morning__0.jpg", "Good_Morning__1.jpg", frozenset({"knees_too_bent"})),
    ("Box_Squat__0.jpg", "Box_Squat__1.jpg", frozenset({"squat"})),
    ("Standing_Toe_Touches__0.jpg", "Standing_Toe_Touches__1.jpg", frozenset({"rounded_back"})),
)
FPS = 30


@dataclass
class Agreement:
    """What the gate measured, and whether the build passes."""

    median_pct: float  # landmark distance to the float engine, % of the diagonal
    p95_pct: float
    photos: int
    tf_within: int
    tf_total: int
    differences: list[str] = field(default_factory=list)  # coaching that differs from float's

    @property
    def passed(self) -> bool:
        return (self.median_pct <= MEDIAN_LIMIT_PCT and self.tf_within >= TF_MIN_WITHIN
                and not self.differences)

    def lines(self) -> list[str]:
        """The figures against their limits, one per gate."""
        def mark(ok: bool) -> str:
            return "pass" if ok else "FAIL"

        out = [
            f"landmarks vs the float engine on {self.photos} photos: median {self.median_pct:.3f} % of "
            f"the diagonal (limit {MEDIAN_LIMIT_PCT} %), p95 {self.p95_pct:.3f} %: "
            f"{mark(self.median_pct <= MEDIAN_LIMIT_PCT)}",
            f"TF truth: {self.tf_within} of {self.tf_total} keypoints within {TF_TOLERANCE_PX} px "
            f"(at least {TF_MIN_WITHIN}): {mark(self.tf_within >= TF_MIN_WITHIN)}",
            f"coaching differences: {len(self.differences)} (none allowed): {mark(not self.differences)}",
        ]
        return out + [f"  {d}" for d in self.differences]


def tf_truth(photos: Path) -> dict[str, np.ndarray]:
    """TensorFlow's reference keypoints for :data:`TF_IMAGES`: 17 COCO (x, y) pairs each."""
    with open(photos / "tf_pose_landmark_truth.csv") as fh:
        rows = list(csv.reader(fh))[1:]
    return {name: np.array(row, float).reshape(17, 2) for name, row in zip(TF_IMAGES, rows, strict=True)}


def rep_frames(a: Pose, b: Pose, reps: int = 2, seed: int = 0) -> list[tuple[float, Pose]]:
    """Stand still, then ``reps`` times ease from ``a`` to ``b``, hold, ease back, stand; 1 px of
    noise from a fixed seed."""
    rng = np.random.default_rng(seed)
    vis = np.minimum(a.visibility, b.visibility)
    frames: list[tuple[float, Pose]] = []

    def at(u: float) -> None:
        xy = a.xy + (b.xy - a.xy) * u + rng.normal(0, 1.0, a.xy.shape)
        frames.append((len(frames) / FPS, Pose(xy, vis, size=a.size)))

    for _ in range(int(1.5 * FPS)):
        at(0.0)
    for _ in range(reps):
        for k in range(int(1.2 * FPS)):
            at((1 - np.cos(np.pi * k / (1.2 * FPS))) / 2)
        for _ in range(int(0.5 * FPS)):
            at(1.0)
        for k in range(int(1.2 * FPS)):
            at((1 + np.cos(np.pi * k / (1.2 * FPS))) / 2)
        for _ in range(FPS):
            at(0.0)
    return frames


def movement_reps(a: Pose, b: Pose) -> list[RepFinished]:
    """The reps a fresh coach counts over :func:`rep_frames` between two poses (no switch: the
    hips' travel stands in for the wall)."""
    from station.coach.run import Frame, reps_over
    from station.config.settings import Settings

    return reps_over([Frame(t, pose) for t, pose in rep_frames(a, b)], Settings())


def movement_faults(a: Pose, b: Pose) -> list[frozenset[str]]:
    """The faults of each rep the coach counts between two poses."""
    return [frozenset(map(str, r.faults)) for r in movement_reps(a, b)]


def photo_posture(estimator, rgb: np.ndarray) -> dict[str, object]:
    """The view, phase and spine ``station analyze`` gives a photo."""
    from station.coach.posture import describe_frame

    record: dict[str, object] = {}
    pose = estimator.process(rgb, video=False)
    describe_frame(pose, record, estimator.silhouette() if pose is not None else None)
    return {k: record.get(k) for k in ("view", "phase", "spine")}


def posture_differences(reference, candidate, images: dict[str, np.ndarray]) -> list[str]:
    """Where the view, phase or spine of a photo differ between the two engines, one line each."""
    differences = []
    for name, rgb in images.items():
        want, got = photo_posture(reference, rgb), photo_posture(candidate, rgb)
        differences += [f"{name} {k}: float {want[k]}, int8 {got[k]}" for k in want if want[k] != got[k]]
    return differences


def movement_differences(poses: dict[str, tuple[Pose | None, Pose | None]]) -> list[str]:
    """Where the reps of :data:`REAL_MOVEMENTS` differ, made from each engine's poses of the
    photos (``poses``: photo name -> (reference's pose, candidate's pose))."""
    differences = []
    for start, end, _ in REAL_MOVEMENTS:
        (a0, b0), (a1, b1) = poses[start], poses[end]
        if a0 is None or b0 is None or a1 is None or b1 is None:
            differences.append(f"{start} -> {end}: a pose is missing")
            continue
        want_faults, got_faults = movement_faults(a0, a1), movement_faults(b0, b1)
        if want_faults != got_faults:
            differences.append(f"{start} -> {end} reps: float {[sorted(f) for f in want_faults]}, "
                               f"int8 {[sorted(f) for f in got_faults]}")
    return differences


def measure(reference, candidate, photos: Path,
            progress: Callable[[str], None] = lambda _: None) -> Agreement:
    """Run the gate: ``reference`` the float engine, ``candidate`` the build, both
    :class:`~station.pose.blazepose.PoseEstimator` with segmentation (a photo's spine reads the
    silhouette); ``photos`` the labelled fixture photos."""
    import json

    from station.camera.files import read_image

    names = sorted(p.name for p in photos.iterdir() if p.suffix.lower() in PHOTO_TYPES)
    if not names:
        raise FileNotFoundError(f"no photos in {photos}")
    images = {n: read_image(photos / n) for n in names}
    dists, differences = [], []
    poses: dict[str, tuple[Pose | None, Pose | None]] = {}
    for name in names:
        rgb = images[name]
        a, b = reference.process(rgb, video=False), candidate.process(rgb, video=False)
        poses[name] = (a, b)
        if (a is None) != (b is None):
            differences.append(f"{name}: float {'found' if a else 'found nobody'}, "
                               f"int8 {'found' if b else 'found nobody'}")
        elif a is not None and b is not None:
            h, w = rgb.shape[:2]
            dists.append(np.hypot(*(a.xy - b.xy).T) / np.hypot(w, h) * 100)
    progress(f"landmarks compared on {len(names)} photos")
    truth = tf_truth(photos)
    within = total = 0
    for name in TF_IMAGES:
        pose = poses[name][1]
        total += len(COCO_TO_BLAZEPOSE)
        if pose is not None:
            err = np.abs(pose.xy[list(COCO_TO_BLAZEPOSE)] - truth[name]).max(axis=1)
            within += int((err <= TF_TOLERANCE_PX).sum())
    labels = json.loads((photos / "labels.json").read_text())
    differences += posture_differences(reference, candidate, {name: images[name] for name in sorted(labels)})
    progress(f"posture compared on {len(labels)} labelled photos")
    differences += movement_differences(poses)
    progress(f"coaching compared on {len(REAL_MOVEMENTS)} real movements")
    pooled = np.concatenate(dists) if dists else np.array([np.inf])
    return Agreement(float(np.median(pooled)), float(np.percentile(pooled, 95)), len(dists),
                     within, total, differences)
