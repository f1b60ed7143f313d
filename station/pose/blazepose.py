"""BlazePose GHUM (full) on a plain TFLite interpreter: frame in, :class:`Pose` out.

Two stages (``blazepose.md``): the detector finds the person, the landmark model reads 39
points inside a rotated ROI. In video mode the next ROI comes from the tracked auxiliary
landmarks, so the detector runs only when the person is lost, and landmarks are smoothed
with One Euro filters.

    estimator = PoseEstimator.from_folder(models_dir(), threads=2)
    pose = estimator.process(rgb, t=0.033)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from station.pose.detector import PoseDetector
from station.pose.interpreter import RuntimeMissing
from station.pose.landmarker import NUM_OUTPUT_LANDMARKS, Landmarker, RawLandmarks
from station.pose.landmarks import NUM_LANDMARKS, Pose
from station.pose.models import ModelError, require
from station.pose.pages import release_mapped
from station.pose.roi import Roi, roi_from_points
from station.pose.silhouette import Silhouette
from station.pose.smoothing import LowPass, OneEuro

AUX_CENTRE, AUX_SCALE = 33, 34


@dataclass
class Timing:
    """Milliseconds spent in the last frame, for health figures and ``analyze --json``."""

    detector_ms: float = 0.0
    landmarks_ms: float = 0.0
    total_ms: float = 0.0
    detected: bool = False

    def as_dict(self) -> dict[str, float]:
        return {
            "detector": round(self.detector_ms, 2),
            "landmarks": round(self.landmarks_ms, 2),
            "total": round(self.total_ms, 2),
        }


class _Filters:
    """MediaPipe's three One Euro filters and the visibility low-pass, run as one vector.

    Layout of the vector: 33 landmarks (x, y), the 2 auxiliary landmarks (x, y), then 39 world
    landmarks (x, y, z). Landmarks and auxiliary points are scaled by the person's size; world
    landmarks are not (``blazepose.md``, "Smoothing").
    """

    LANDMARKS = (0.05, 80.0)
    AUX = (0.01, 10.0)
    WORLD = (0.1, 40.0)

    def __init__(self) -> None:
        counts = (NUM_LANDMARKS * 2, 4, NUM_OUTPUT_LANDMARKS * 3)
        params = (self.LANDMARKS, self.AUX, self.WORLD)
        min_cutoff = np.concatenate([np.full(n, p[0]) for n, p in zip(counts, params, strict=True)])
        beta = np.concatenate([np.full(n, p[1]) for n, p in zip(counts, params, strict=True)])
        self._image_part = counts[0] + counts[1]
        self._scale = np.ones(sum(counts))
        self.coords = OneEuro(min_cutoff, beta, 1.0)
        self.visibility = LowPass(0.1)

    def reset(self) -> None:
        self.coords.reset()
        self.visibility.reset()

    def __call__(
        self, t: float, xy: np.ndarray, aux: np.ndarray, world: np.ndarray, vis: np.ndarray,
        person_size: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        self._scale[: self._image_part] = 1.0 / max(person_size, 1e-6)
        joined = np.concatenate((xy.ravel(), aux.ravel(), world.ravel()))
        out = self.coords(t, joined, self._scale)
        n_xy = xy.size
        return (
            out[:n_xy].reshape(xy.shape),
            out[n_xy : self._image_part].reshape(aux.shape),
            out[self._image_part :].reshape(world.shape),
            self.visibility(vis),
        )


class PoseEstimator:
    """The two-stage pipeline with tracking.

    ``video=True`` tracks from frame to frame and smooths; ``video=False`` treats every
    frame as a new photo (detector every time, no smoothing).
    """

    def __init__(
        self,
        detector_path: Path,
        landmark_path: Path,
        threads: int = 2,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        refine: bool = True,
        hold_roi: bool = False,
        segmentation: bool = True,
    ) -> None:
        self.detector = PoseDetector(detector_path, threads, min_detection_confidence)
        self.landmarker = Landmarker(landmark_path, threads, refine, segmentation)
        # The model files' mapped pages, dropped once both models have run (station/pose/pages.py).
        mapped = self.landmarker.model_file or landmark_path
        self._model_files: tuple[Path, ...] | None = (detector_path, mapped)
        self.min_tracking_confidence = min_tracking_confidence
        # False: MediaPipe's pose graph, a new ROI every frame; True: the ROI's hysteresis
        # (station/pose/roi.py), which the int8 model needs to let a still person settle.
        self.hold_roi = hold_roi
        self.threads = threads
        self.timing = Timing()
        self._roi: Roi | None = None
        self._last_found = False
        self._filters = _Filters()

    @classmethod
    def from_folder(cls, folder: Path, threads: int = 2, *, min_detection_confidence: float = 0.5,
                    min_tracking_confidence: float = 0.5, refine: bool = True,
                    pose_model: str = "full", segmentation: bool = True) -> PoseEstimator:
        """Load both models from a data directory's model folder (checked by sha256 first);
        ``pose_model`` picks the landmark model (``full`` or ``full_int8``); without
        ``segmentation`` the landmark model runs without its mask decoder (the station's loop:
        it never asks for a :meth:`silhouette`).

        Raises :class:`ModelError`, whose message says how to fix it, when a model is missing or
        corrupt, the runtime is not installed or cannot read a model file.
        """
        detector, landmarks = require(folder, pose_model)
        try:
            return cls(detector, landmarks, threads, min_detection_confidence, min_tracking_confidence,
                       refine, hold_roi=pose_model == "full_int8", segmentation=segmentation)
        except RuntimeMissing as exc:
            raise ModelError(str(exc)) from exc
        except ValueError as exc:  # the runtime could not read a model file
            raise ModelError(f"a model could not be loaded ({exc}); run `station models fetch`") from exc

    def silhouette(self) -> Silhouette | None:
        """The silhouette behind the pose of the last :meth:`process`, None when it found nobody
        (or the estimator was loaded without ``segmentation``)."""
        return self.landmarker.silhouette() if self._last_found else None

    @property
    def tracked_roi(self) -> Roi | None:
        """The ROI the next video frame's landmarks will be read in (None: the detector runs)."""
        return self._roi

    def reset(self) -> None:
        """Forget the tracked person: the next frame runs the detector."""
        self._roi = None
        self._filters.reset()

    def process(self, rgb: np.ndarray, t: float | None = None, video: bool = True) -> Pose | None:
        """The pose in an RGB frame (H, W, 3 uint8), or None when nobody is there.

        ``t`` is the frame's time in seconds (needed for smoothing in video mode).
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 frame (H, W, 3), got {rgb.dtype} {rgb.shape}")
        start = time.perf_counter()
        timing = Timing()
        roi = self._roi if video else None
        raw: RawLandmarks | None = None
        if roi is not None:
            raw = self.landmarker.run(rgb, roi)
            if raw.flag < self.min_tracking_confidence:
                raw = None
                self.reset()
        if raw is None:
            timing.detected = True
            t0 = time.perf_counter()
            detection = self.detector.detect(rgb)
            timing.detector_ms = (time.perf_counter() - t0) * 1000
            if detection is not None:
                roi = roi_from_points(detection.keypoints[0], detection.keypoints[1])
                raw = self.landmarker.run(rgb, roi)
                if raw.flag < self.min_tracking_confidence:
                    raw = None
        self._last_found = raw is not None and roi is not None
        if raw is None or roi is None:
            self._roi = None
            timing.total_ms = (time.perf_counter() - start) * 1000
            timing.landmarks_ms = timing.total_ms - timing.detector_ms
            self.timing = timing
            return None
        pose = self._finish(rgb, raw, roi, t, video)
        if self._model_files is not None:
            # Both models have run (a person was found): XNNPACK holds their packed weights now.
            release_mapped(self._model_files)
            self._model_files = None
        timing.total_ms = (time.perf_counter() - start) * 1000
        timing.landmarks_ms = timing.total_ms - timing.detector_ms
        self.timing = timing
        return pose

    def _finish(
        self, rgb: np.ndarray, raw: RawLandmarks, roi: Roi, t: float | None, video: bool
    ) -> Pose:
        xy, aux = raw.xy[:NUM_LANDMARKS], raw.xy[AUX_CENTRE : AUX_SCALE + 1]
        world, vis = raw.world, raw.visibility
        if video and t is not None:
            xy, aux, world, vis = self._filters(t, xy, aux, world, vis, roi.raw_side)
        if video:
            proposed = roi_from_points(aux[0], aux[1])
            self._roi = roi if self.hold_roi and roi.holds(proposed) else proposed
        h, w = rgb.shape[:2]
        return Pose(
            xy=xy,
            visibility=vis[:NUM_LANDMARKS],
            size=(w, h),
            z=raw.z[:NUM_LANDMARKS],
            world=world[:NUM_LANDMARKS],
            score=raw.flag,
            presence=raw.presence[:NUM_LANDMARKS],
        )
