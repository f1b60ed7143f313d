"""``station analyze``: the pose (and, with the coach, the posture) in photos and video files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from station.camera.files import MediaError, frames_from, media_in
from station.pose.blazepose import PoseEstimator
from station.pose.landmarks import Pose

# Adds fields to a frame's record from its pose (the coach's single-frame posture plugs in here).
Describer = Callable[[Pose | None, dict[str, Any], np.ndarray], None]  # pose, record, rgb


def expand(paths: Iterable[Path]) -> Iterable[Path | MediaError]:
    """Folders become their media files; an unreadable folder becomes its error."""
    for path in paths:
        if path.is_dir():
            try:
                yield from media_in(path)
            except (MediaError, OSError) as exc:
                yield exc if isinstance(exc, MediaError) else MediaError(f"{path}: {exc}")
        else:
            yield path


def record(frame_path: Path, index: int | None, size: tuple[int, int], pose: Pose | None,
           timing: dict[str, float]) -> dict[str, Any]:
    return {
        "file": str(frame_path),
        "frame": index,
        "size": list(size),
        "person": pose is not None,
        "landmarks": pose.to_dict() if pose is not None else None,
        "timing_ms": timing,
    }


def line_for(rec: dict[str, Any]) -> str:
    """The human-readable one-liner for a frame."""
    where = rec["file"] + (f" frame {rec['frame']}" if rec["frame"] is not None else "")
    if not rec["person"]:
        return f"{where}: nobody found ({rec['timing_ms']['total']:.1f} ms)"
    extra = "".join(
        f", {k} {rec[k]}" for k in ("view", "facing", "phase", "spine") if rec.get(k) is not None
    )
    return f"{where}: person{extra} ({rec['timing_ms']['total']:.1f} ms)"


def run(
    paths: list[Path],
    estimator: PoseEstimator,
    out: TextIO,
    err: TextIO,
    as_json: bool = False,
    describe: Describer | None = None,
) -> int:
    """Analyse every path; returns 0 when all were read, 1 when any could not be."""
    failed = 0
    for item in expand(paths):
        if isinstance(item, MediaError):
            print(f"error: {item}", file=err)
            failed += 1
            continue
        estimator.reset()
        try:
            for frame in frames_from(item):
                video = frame.index is not None
                pose = estimator.process(frame.rgb, t=frame.t, video=video)
                h, w = frame.rgb.shape[:2]
                rec = record(frame.path, frame.index, (w, h), pose, estimator.timing.as_dict())
                if describe is not None:
                    describe(pose, rec, frame.rgb)
                print(json.dumps(rec) if as_json else line_for(rec), file=out, flush=True)
        except MediaError as exc:
            print(f"error: {exc}", file=err)
            failed += 1
    return 1 if failed else 0
