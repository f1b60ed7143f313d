"""Convert a ``.posetrack.json`` (BlazePose 33 keypoints per frame, pixels) to a pose stream.

    .venv/bin/python tools/posetrack_to_stream.py IN.posetrack.json -o OUT.jsonl [--start S] [--end S]

The posetrack format is the one of the MIT-licensed ``idvorkin/swing-analyzer`` fixtures:
``{"metadata": {"videoWidth", "videoHeight", ...}, "frames": [{"videoTime": s, "keypoints":
[{"x", "y", "z", "score", "name"}, ...]}, ...]}`` with MediaPipe's landmark names in snake_case,
which are the station's names too (:data:`station.pose.landmarks.LANDMARK_NAMES`).

Only the landmarks the coach reads are kept, in whole pixels (:data:`KEEP`: face for facing, arms
for the side and view, the legs and feet), so a stream stays small; the others come back with
visibility 0. The
``score`` becomes the visibility. A frame with no keypoints is written with ``"landmarks": null``
(nobody seen), as the station records it. Times restart at 0 from ``--start``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from station.pose.landmarks import INDEX

PARTS = ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")
KEEP: tuple[str, ...] = ("nose", *(f"{side}_{part}" for part in PARTS for side in ("left", "right")))


def convert_frame(frame: dict[str, Any], t0: float) -> dict[str, Any]:
    """One posetrack frame as one pose stream line (a dict, ready for ``json.dumps``)."""
    marks: dict[str, list[float]] | None = None
    keypoints = frame.get("keypoints") or []
    if keypoints:
        marks = {}
        for kp in keypoints:
            name = kp.get("name")
            if name in KEEP:
                # Whole pixels: BlazePose's own error is several pixels; this halves the file.
                marks[name] = [round(float(kp["x"])), round(float(kp["y"])),
                               round(float(kp.get("score", 1.0)), 2)]
        if not marks:
            marks = None
    return {"t": round(float(frame["videoTime"]) - t0, 4), "landmarks": marks, "wall_contact": None}


def convert(track: dict[str, Any], start: float = 0.0, end: float | None = None) -> Iterator[dict[str, Any]]:
    """The stream lines of the frames from ``start`` to ``end`` seconds (video time)."""
    meta = track.get("metadata", {})
    size = [int(meta.get("videoWidth", 0)), int(meta.get("videoHeight", 0))]
    last = None
    for frame in track["frames"]:
        t = float(frame["videoTime"])
        if t < start or (end is not None and t > end) or (last is not None and t <= last):
            continue
        last = t
        line = convert_frame(frame, start)
        yield {"t": line["t"], "size": size, "landmarks": line["landmarks"], "wall_contact": None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("track", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--start", type=float, default=0.0, help="first second of video time to keep")
    parser.add_argument("--end", type=float, help="last second of video time to keep")
    args = parser.parse_args(argv)
    track = json.loads(args.track.read_text(encoding="utf-8"))
    n = 0
    with args.out.open("w", encoding="utf-8") as out:
        for line in convert(track, args.start, args.end):
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
            n += 1
    print(f"{n} frames to {args.out}", file=sys.stderr)
    return 0


if not set(KEEP) <= set(INDEX):  # a typo here would silently drop a landmark
    raise ImportError("KEEP names a landmark BlazePose does not have")

if __name__ == "__main__":
    sys.exit(main())
