"""The int8 build's calibration set: the pose engine's own ROI crops of real photos.

The set lives in the repository (``calibration/landmark/``): the photos (public domain, with
their source in ``README.md`` there) and ``manifest.json``, one line per crop with the ROI the
float engine chose. The build re-cuts each crop with the engine's own warp
(:func:`station.pose.landmarker.warp_roi`), so the quantizer sees exactly what the station
feeds the model. Three kinds of crop:

- ``detect``: the ROI from the detector's keypoints (the first frame of a person);
- ``track1``, ``track2``: the ROIs of the next two tracking frames on the same photo (from the
  auxiliary landmarks, as every later video frame is);
- ``shifted``: the tracking ROI moved sideways by most of its side (a person leaving the
  frame) and ``background``: a corner of the photo away from the person. These are the crops
  without a (whole) person, for the pose flag's low end; each records the float model's flag;
- ``video``: the ROI the float engine tracked on a frame of a real video (``frame`` is its
  index; the video is decoded frame by frame, and H.264 decoding is exact, so every decoder
  gives the same pixels).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from station.pose.landmarker import input_tensor, warp_roi
from station.pose.roi import Roi

# The repository's own copy of the set; `station models quantize --calibration DIR` can point
# elsewhere.
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "calibration" / "landmark"
MANIFEST = "manifest.json"
EVAL = "eval.json"  # the held-out photos, written by benchmarks/int8_sets.py


@dataclass(frozen=True)
class Crop:
    """One calibration input: a photo in the set's folder and the ROI cut out of it."""

    photo: str
    kind: str
    cx: float
    cy: float
    side: float
    rotation: float
    flag: float  # the float model's pose flag on this crop, for the record
    frame: int | None = None  # the frame's index when ``photo`` is a video

    @property
    def roi(self) -> Roi:
        return Roi(self.cx, self.cy, self.side, self.rotation, self.side / 1.25)


def read_manifest(folder: Path) -> tuple[dict[str, str], list[Crop]]:
    """The photos' sha256 by name, and the crops, in the manifest's order."""
    data = json.loads((folder / MANIFEST).read_text())
    return data["photos"], [Crop(**c) for c in data["crops"]]


def held_out_photos(folder: Path = DEFAULT_FOLDER) -> list[str]:
    """The photos (of free-exercise-db) never calibrated on, in ``EVAL``'s order: the int8
    benchmarks measure on them (the first 80 chose what stays float, the last 40 did not)."""
    return json.loads((folder / EVAL).read_text())["photos"]


def check_photos(folder: Path, photos: dict[str, str]) -> list[str]:
    """Photos that are missing or whose sha256 differs from the manifest's."""
    bad = []
    for name, digest in photos.items():
        path = folder / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad


def inputs(folder: Path, crops: list[Crop]) -> Iterator[np.ndarray]:
    """Each crop as the model's (1, 256, 256, 3) float32 input, in the manifest's order."""
    pictures = _Pictures(folder)
    for crop in crops:
        yield input_tensor(warp_roi(pictures.get(crop.photo, crop.frame), crop.roi))


class _Pictures:
    """Photos and video frames in the order the manifest asks for them: crops come grouped by
    photo, and a video's in frame order, so one picture and one open video are kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key: tuple[str, int | None] = ("", None)
        self._rgb = np.zeros((0, 0, 3), np.uint8)
        self._video: Iterator[Any] = iter(())
        self._video_at = ("", -1)  # the open video and the index of its last frame read

    def get(self, name: str, frame: int | None) -> np.ndarray:
        from station.camera.files import read_image, video_frames

        if (name, frame) != self._key:
            self._key = (name, frame)
            if frame is None:
                self._rgb = read_image(self.folder / name)
                return self._rgb
            if self._video_at[0] != name or self._video_at[1] >= frame:
                self._video = video_frames(self.folder / name)
            for f in self._video:
                self._video_at = (name, f.index)
                if f.index == frame:
                    self._rgb = f.rgb
                    return self._rgb
            raise ValueError(f"{self.folder / name} has no frame {frame}")
        return self._rgb


def _crop(photo: str, kind: str, roi: Roi, flag: float, frame: int | None = None) -> Crop:
    # Rounded so that the manifest reads well and re-cuts the same pixels on any machine.
    return Crop(photo, kind, round(roi.cx, 3), round(roi.cy, 3), round(roi.side, 3),
                round(roi.rotation, 5), round(flag, 4), frame)


def _without_person(rgb: np.ndarray, roi: Roi) -> list[tuple[str, Roi]]:
    """A sideways-shifted copy of ``roi`` (person mostly out) and the image corner farthest
    from the person, at half the image's short side."""
    h, w = rgb.shape[:2]
    step = 0.8 * roi.side
    shift = -step if roi.cx > w / 2 else step
    shifted = Roi(roi.cx + shift, roi.cy, roi.side, roi.rotation, roi.raw_side)
    side = 0.5 * min(h, w)
    corners = [(side / 2, side / 2), (w - side / 2, side / 2), (side / 2, h - side / 2),
               (w - side / 2, h - side / 2)]
    far = max(corners, key=lambda c: math.hypot(c[0] - roi.cx, c[1] - roi.cy))
    return [("shifted", shifted), ("background", Roi(far[0], far[1], side, 0.0, side / 1.25))]


def crops_of_photo(estimator: Any, rgb: np.ndarray, photo: str) -> list[Crop]:
    """The crops of one photo as the float engine sees it (empty when it finds nobody)."""
    from station.pose.roi import roi_from_points

    estimator.reset()
    detection = estimator.detector.detect(rgb)
    if detection is None:
        return []
    roi = roi_from_points(detection.keypoints[0], detection.keypoints[1])
    out = []
    for kind in ("detect", "track1", "track2"):
        raw = estimator.landmarker.run(rgb, roi)
        if raw.flag < estimator.min_tracking_confidence:
            return []
        out.append(_crop(photo, kind, roi, raw.flag))
        roi = roi_from_points(raw.xy[33], raw.xy[34])  # the auxiliary landmarks, unsmoothed
    for kind, other in _without_person(rgb, roi):
        out.append(_crop(photo, kind, other, estimator.landmarker.run(rgb, other).flag))
    return out


def crops_of_video(estimator: Any, path: Path, every: int) -> list[Crop]:
    """The ROIs the float engine tracks on every ``every``-th frame of a video, as the station
    tracks a camera (detector only when it has lost the person)."""
    from station.camera.files import video_frames

    estimator.reset()
    out = []
    for f in video_frames(path):
        roi = estimator.tracked_roi  # the ROI this frame is cut with, unless the detector runs
        pose = estimator.process(f.rgb, t=f.t)
        tracked = pose is not None and roi is not None and not estimator.timing.detected
        if tracked and f.index is not None and f.index % every == 0:
            out.append(_crop(path.name, "video", roi, pose.score, f.index))
    return out


def write_manifest(folder: Path, crops: list[Crop], source: dict[str, str],
                   videos: dict[str, dict[str, str]] | None = None) -> None:
    """Write ``manifest.json`` for the photos (and videos) in ``folder`` and their crops;
    ``videos`` gives each video's own source."""
    photos = sorted({c.photo for c in crops})
    data: dict[str, Any] = {
        "source": source,
        "photos": {p: hashlib.sha256((folder / p).read_bytes()).hexdigest() for p in photos},
        "crops": [{k: v for k, v in asdict(c).items() if k != "frame" or v is not None} for c in crops],
    }
    if videos:
        data["videos"] = videos
    (folder / MANIFEST).write_text(json.dumps(data, indent=1) + "\n")


def read_sources(folder: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The photos' source and each video's source, as the manifest records them."""
    data = json.loads((folder / MANIFEST).read_text())
    return data["source"], data.get("videos", {})
