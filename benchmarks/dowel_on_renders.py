"""The dowel finder against the renderer's truth: on each rendered clip's MP4 (``make
render-corpus``), with the poses its recorded stream holds, how often the finder sees the dowel
and how far its line lies from the drawn one.

    python benchmarks/dowel_on_renders.py /work/rendered          # every clip rendered there

Per clip: frames where the truth's dowel is in the picture, the share found, the share found
within 4 deg and 0.03 torso lengths of the truth (the coach's contact tolerance is 0.07), and the
median angle and offset errors. A frame counts as found only when the pose was seen too (the
finder searches around the pose).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

from contact_gaps_on_renders import truth_of  # where a render folder keeps each clip's truth

from station.camera.files import frames_from
from station.coach.dowel import find_dowel
from station.coach.geometry import Line
from station.coach.posture import torso_length
from station.config.settings import Settings
from station.streams.format import StreamFrame, read_stream

GOOD_DEG, GOOD_TORSO = 4.0, 0.03


def _errors(found: Line, truth: tuple[tuple[float, float], tuple[float, float]],
            torso: float) -> tuple[float, float]:
    """Angle between the lines (deg) and the found line's largest distance from the truth's
    segment ends inside the frame, in torso lengths."""
    t = Line(*truth)
    a, b = found.direction(), t.direction()
    angle = math.degrees(math.acos(min(1.0, abs(float(a @ b)))))
    offset = max(abs(found.signed_distance(p)) for p in truth) / max(torso, 1.0)
    return angle, offset


def score_clip(root: Path, name: str, stream: Path, settings: Settings) -> dict[str, float]:
    truth = truth_of(root, name)
    frames = [f for f in read_stream(stream.read_text().splitlines()) if isinstance(f, StreamFrame)]
    video = root / f"{name}.mp4"
    # Without the MP4, the rendered frames before it (no camera noise, no compression).
    pictures = frames_from(video) if video.exists() else (
        still for path in sorted((root / name / "frames").glob("*.png")) for still in frames_from(path))
    seen = found = good = 0
    angles: list[float] = []
    offsets: list[float] = []
    spent = 0.0
    for rec, tr, frame in zip(frames, truth["frames"], pictures, strict=False):
        if rec.pose is None:
            continue
        h, w = frame.rgb.shape[:2]
        ends = tr["dowel_px"]
        inside = [p for p in ends if 0 <= p[0] < w and 0 <= p[1] < h]
        if not ends or not inside:
            continue
        seen += 1
        t0 = time.perf_counter()
        line = find_dowel(frame.rgb, rec.pose, settings)
        spent += time.perf_counter() - t0
        if line is None:
            continue
        found += 1
        angle, offset = _errors(line, (tuple(ends[0]), tuple(ends[1])), torso_length(rec.pose))
        angles.append(angle)
        offsets.append(offset)
        good += angle <= GOOD_DEG and offset <= GOOD_TORSO
    return {"frames": seen, "found": found / max(seen, 1), "good": good / max(seen, 1),
            "median_deg": statistics.median(angles) if angles else float("nan"),
            "median_torso": statistics.median(offsets) if offsets else float("nan"),
            "ms_per_frame": 1000 * spent / max(seen, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rendered", type=Path, help="a folder `make render-corpus` wrote (RENDERED)")
    p.add_argument("clips", nargs="*", help="clip names (default: every clip rendered there)")
    p.add_argument("--streams", type=Path, help="the recorded streams (default: RENDERED/streams)")
    args = p.parse_args(argv)
    streams = args.streams or args.rendered / "streams"
    names = args.clips or sorted(v.parent.name for v in args.rendered.glob("*/truth.json"))
    if not names:
        print(f"no rendered clips (*/truth.json) in {args.rendered}", file=sys.stderr)
        return 2
    print(f"{'clip':<16}{'frames':>7}{'found':>8}{'good':>8}{'med deg':>9}{'med torso':>10}{'ms':>6}")
    for name in names:
        r = score_clip(args.rendered, name, streams / f"{name}.jsonl", Settings())
        print(f"{name:<16}{r['frames']:>7}{r['found']:>8.0%}{r['good']:>8.0%}{r['median_deg']:>9.1f}"
              f"{r['median_torso']:>10.3f}{r['ms_per_frame']:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
