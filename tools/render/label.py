"""``labels.json`` for rendered clips recorded by ``station record``, in ``station evaluate``'s format.

    python -m tools.render label tests/data/rendered --truth .cache/rendered

For each ``DIR/NAME.jsonl`` whose clip has ``TRUTH/NAME/truth.json``: the wall switch's reading is
written into the stream from the truth (the pad is a switch, not a camera's guess: pressed while the
buttocks are within 1 cm of it), and the clip's reps become a labelled recording: the count, the
faults the renderer made (plus ``no_wall_touch`` on any rep but a squat whose buttocks never reached
the pad),
each rep's deepest moment, and the frames' truth beside it as ``NAME.truth.json`` (trimmed: the
joint angles, contacts and wall contact per frame).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

# The faults the renderer controls: the coach's others (upper back off the dowel, lost tracking)
# are not labelled. Labels use the coach's vocabulary (station/coach/rules.py): a rounded back
# explains the head and sacrum leaving the dowel, so a rounded rep is labelled rounded_back alone;
# a squat is not also a missed wall.
RENDERED_FAULTS = ("rounded_back", "head_off_dowel", "sacrum_off_dowel", "squat", "knees_too_bent",
                   "no_wall_touch", "no_lockout", "too_fast")


def rep_truth(truth: dict) -> list[list[str]]:
    """Each rep's true faults: as planned, and no_wall_touch where the pad was never pressed.

    >>> rep_truth({"reps": [{"rep": 1, "faults": []}, {"rep": 2, "faults": ["squat"]}],
    ...            "frames": [{"rep": 1, "wall_contact": False}, {"rep": 2, "wall_contact": False}]})
    [['no_wall_touch'], ['squat']]
    """
    out = []
    for rep in truth["reps"]:
        faults = set(rep["faults"])
        touched = any(f["wall_contact"] for f in truth["frames"] if f["rep"] == rep["rep"])
        if not touched and "squat" not in faults:
            faults.add("no_wall_touch")
        out.append(sorted(faults))
    return out


def tags(truth: dict) -> dict[str, str]:
    """What the clip varies, for ``station evaluate``'s summary by camera angle and body.

    >>> tags({"look": {"yaw": 12.0}, "body": {"sex": "male", "weight": "max", "height": 0.5}})
    {'camera': '12 deg off side-on', 'body': 'male, weight max, height +0.5'}
    """
    yaw = truth["look"]["yaw"]
    b = truth["body"]
    return {"camera": "side-on" if yaw == 0 else f"{yaw:g} deg off side-on",
            "body": f"{b['sex']}, weight {b['weight']}, height {b['height']:+g}"}


def per_frame(lines: list[str], truth: dict, edit: Callable[[dict, dict], None]) -> list[str]:
    """A recorded stream's ``lines`` with ``edit(frame, its_truth)`` applied to each frame's JSON,
    frame by frame in the same order; ValueError when the counts differ.

        >>> per_frame(['{"t":0}'], {"frames": [{"wall_contact": 1}]},
        ...           lambda f, tr: f.update(wall_contact=bool(tr["wall_contact"])))
        ['{"t":0,"wall_contact":true}']
    """
    frames = truth["frames"]
    if len(lines) != len(frames):
        raise ValueError(f"{len(lines)} frames recorded, {len(frames)} rendered")
    out = []
    for line, f in zip(lines, frames, strict=True):
        data = json.loads(line)
        edit(data, f)
        out.append(json.dumps(data, separators=(",", ":")))
    return out


def with_wall(stream: Path, truth: dict) -> None:
    """Write the pad's truth into ``stream``'s wall_contact, frame by frame (same order)."""
    def wall(frame: dict, f: dict) -> None:
        frame["wall_contact"] = bool(f["wall_contact"])

    try:
        out = per_frame(stream.read_text().splitlines(), truth, wall)
    except ValueError as exc:
        raise ValueError(f"{stream}: {exc}") from None
    stream.write_text("\n".join(out) + "\n")


def trimmed(truth: dict) -> dict:
    keep = ("t", "rep", "phase", "hip_flexion", "knee_flexion", "shape", "contacts", "gaps_m",
            "wall_contact", "dowel_px")
    doc = {k: v for k, v in truth.items() if k != "frames"}
    doc["frames"] = [{k: f[k] for k in keep} for f in truth["frames"]]
    return doc


def write_labels(folder: Path, truth_dir: Path) -> Path:
    """Label every ``folder/*.jsonl`` that has a rendered truth; ``folder/labels.json``."""
    recordings = []
    for stream in sorted(folder.glob("*.jsonl")):
        name = stream.stem
        src = truth_dir / name / "truth.json"
        if not src.is_file():
            continue
        truth = json.loads(src.read_text())
        with_wall(stream, truth)
        (folder / f"{name}.truth.json").write_text(json.dumps(trimmed(truth), separators=(",", ":")))
        recordings.append({
            "name": name, "file": stream.name, "movement": "dowel hip hinge at the wall (rendered)",
            "expected_reps": len(truth["reps"]), "judged": list(RENDERED_FAULTS),
            "rep_faults": rep_truth(truth),
            "rep_times": [r["deepest"] for r in truth["reps"]],
            "labelled_by": "the renderer (tools/render), from the pose it drew",
            "source": {"generator": "tools/render", "clip": name, "seed": truth["seed"],
                       "body": truth["body"],
                       "camera": {k: truth["look"][k] for k in ("yaw", "distance", "camera_z")},
                       "licence": "MakeHuman assets CC0 1.0; renders ours"},
            "notes": truth["notes"],
            "tags": tags(truth),
        })
    path = folder / "labels.json"
    path.write_text(json.dumps({"about": "Rendered dowel drills for `station evaluate`; see README.md.",
                                "recordings": recordings}, indent=1) + "\n")
    return path
