"""How far from profile the coach reads the camera, against the renderer's truth (issue 28).

    .venv/bin/python benchmarks/view_from_profile.py [--rendered DIR] [--real DIR] [--json]

For every rendered clip in ``--rendered`` (default tests/data/rendered; each stream's truth says
the camera's yaw): the median of ``posture.view_yaw`` over its frames with the trunk within
``VIEW_UPRIGHT_TORSO_MAX`` of vertical and over its frames bent 45-60 deg forward; then, for each
rep the coach counted, the view it read before issue 28's fix (the median of the rep's own frames,
now the metric ``view_yaw_in_rep_deg``) and after (``view_yaw_deg``, the smaller of the upright
view and the hips in the rep), and whether the back was judged. Then the same per rep for the real
tracks in ``--real`` (no truth: side-on by their sources' framing), and the calibration: for the
clips filmed 20 deg or more off, sin(read) / sin(true) of the upright view and of the hips in the
rep (1.0 when the geometry alone is right).

Prints a Markdown table for docs/figures.md ("View from profile, fitted on renders").
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

from station.coach import thresholds as th
from station.coach.events import RepFinished
from station.coach.posture import angles_of, facing_of, near_side, view_yaw
from station.coach.run import coach_over
from station.coach.vocabulary import Check
from station.config.settings import Settings
from station.streams.format import StreamFrames, read_stream

ROOT = Path(__file__).resolve().parent.parent
BENT = (45.0, 60.0)  # trunk from vertical, deg: the bottom half of a hinge, where the reading collapses
CALIBRATE_FROM = 20.0  # deg: below this the view is within the landmarks' jitter


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def frame_views(path: Path) -> dict[str, float | None]:
    """The median view_yaw of a stream's upright frames and of its bent ones."""
    upright: list[float] = []
    bent: list[float] = []
    with path.open(encoding="utf-8") as lines:
        for frame in StreamFrames(read_stream(lines)):
            pose = frame.pose
            if pose is None:
                continue
            torso = angles_of(pose, near_side(pose), facing_of(pose)).torso_inclination
            if torso <= th.VIEW_UPRIGHT_TORSO_MAX:
                upright.append(view_yaw(pose))
            elif BENT[0] <= torso < BENT[1]:
                bent.append(view_yaw(pose))
    return {"upright": _median(upright), "bent": _median(bent)}


def rep_views(path: Path) -> list[dict[str, Any]]:
    """Each rep the coach counts in a stream: the view before and after, and whether the back was
    judged."""
    with path.open(encoding="utf-8") as lines:
        done = [e for e in coach_over(StreamFrames(read_stream(lines)), Settings())
                if isinstance(e, RepFinished)]
    return [{"before": e.metrics["view_yaw_in_rep_deg"], "after": e.metrics["view_yaw_deg"],
             "upright": e.metrics.get("view_yaw_upright_deg"), "hips": e.metrics["view_yaw_hips_deg"],
             "back_judged": Check.BACK not in e.unseen} for e in done]


def _body(truth: dict) -> str:
    b, look = truth["body"], truth["look"]
    return (f"{b['sex']}, {b['weight']} weight, height {b['height']:+.1f}; "
            f"lens {look['camera_z']:g} m high, {look['distance']:g} m")


def measure(rendered: Path, real: Path | None) -> dict[str, Any]:
    clips = []
    for stream in sorted(rendered.glob("*.jsonl")):
        truth_path = rendered / f"{stream.stem}.truth.json"
        if not truth_path.is_file():
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        clips.append({"name": stream.stem, "yaw": truth["look"]["yaw"], "body": _body(truth),
                      "frames": frame_views(stream), "reps": rep_views(stream)})
    clips.sort(key=lambda c: (c["yaw"], c["name"]))
    tracks = []
    if real is not None:
        tracks = [{"name": s.stem, "reps": rep_views(s)} for s in sorted(real.glob("*.jsonl"))]
    ratios: dict[str, list[float]] = {"upright": [], "hips": []}
    for c in clips:
        if c["yaw"] < CALIBRATE_FROM:
            continue
        true = math.sin(math.radians(c["yaw"]))
        if c["frames"]["upright"] is not None:
            ratios["upright"].append(math.sin(math.radians(c["frames"]["upright"])) / true)
        ratios["hips"] += [math.sin(math.radians(r["hips"])) / true for r in c["reps"]]
    calibration = {k: {"median": round(statistics.median(v), 2), "min": round(min(v), 2),
                       "max": round(max(v), 2)} if v else {"median": None, "min": None, "max": None}
                   for k, v in ratios.items()}
    return {"limit": th.SPINE_MAX_YAW, "clips": clips, "real": tracks, "calibration": calibration}


def _reps(reps: list[dict[str, Any]], key: str) -> str:
    return " / ".join(f"{r[key]:g}" for r in reps) or "-"


def _judged(reps: list[dict[str, Any]]) -> str:
    return " / ".join("judged" if r["back_judged"] else "not seen" for r in reps) or "-"


def print_table(doc: dict[str, Any]) -> None:
    print(f"rendered clips (the back is left unjudged beyond {doc['limit']:g} deg):")
    print("| true yaw | clip | body; camera | upright frames | bent 45-60 | reps before | reps after "
          "| back |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in doc["clips"]:
        f = c["frames"]
        print(f"| {c['yaw']:g} | `{c['name']}` | {c['body']} | {f['upright']} | {f['bent']} | "
              f"{_reps(c['reps'], 'before')} | {_reps(c['reps'], 'after')} | {_judged(c['reps'])} |")
    if doc["real"]:
        print("\nreal tracks (side-on by their framing; no truth):")
        print("| track | reps before | reps after | backs not seen |")
        print("| --- | --- | --- | --- |")
        for t in doc["real"]:
            unseen = sum(not r["back_judged"] for r in t["reps"])
            print(f"| `{t['name']}` | {_reps(t['reps'], 'before')} | {_reps(t['reps'], 'after')} | "
                  f"{unseen} of {len(t['reps'])} |")
    cal = doc["calibration"]
    print(f"\ncalibration, clips {CALIBRATE_FROM:g} deg or more off, sin(read) / sin(true):")
    for k in ("upright", "hips"):
        print(f"  {k:8} median {cal[k]['median']}  range {cal[k]['min']}-{cal[k]['max']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rendered", type=Path, default=ROOT / "tests" / "data" / "rendered")
    p.add_argument("--real", type=Path, default=ROOT / "tests" / "data" / "real")
    p.add_argument("--json", action="store_true", help="the figures as one JSON document")
    args = p.parse_args(argv)
    if not args.rendered.is_dir():
        print(f"error: no rendered corpus at {args.rendered}", file=sys.stderr)
        return 2
    doc = measure(args.rendered, args.real if args.real.is_dir() else None)
    if args.json:
        print(json.dumps(doc))
    else:
        print_table(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
