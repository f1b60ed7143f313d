"""``station evaluate``'s score on a rendered corpus, split by camera angle and by body.

    python -m tools.render report tests/data/rendered

Runs where the station is (its venv): each recording through a fresh coach with the default
settings (:func:`station.streams.evaluate.run_recording`), then per-fault precision and recall and
exact counts for the whole set, for side-on clips (under 10 deg off), oblique ones (10-25 deg off)
and ones too far off for the back to be judged (over 25), and per body.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

from station.coach.posture import angles_of, facing_of, near_side
from station.config.settings import Settings
from station.streams.evaluate import Result, Score, load_labels, run_recording, summary_dict
from station.streams.format import StreamFrame, read_stream

SIDE_ON_DEG = 10.0  # a camera within this of side-on counts as side-on (the corpus has 0 and 12-45)
# Beyond this the coach should leave the back unjudged (station/coach/thresholds.py SPINE_MAX_YAW;
# the corpus has 12-25 and 30-45 deg off).
FAR_OFF_DEG = 25.0


def _camera(yaw: float) -> str:
    if abs(yaw) < SIDE_ON_DEG:
        return "side-on"
    if abs(yaw) <= FAR_OFF_DEG:
        return f"{SIDE_ON_DEG:.0f}-{FAR_OFF_DEG:.0f} deg off"
    return f"over {FAR_OFF_DEG:.0f} deg off"


def _groups() -> dict[str, Callable[[dict], str]]:
    return {
        "camera": lambda src: _camera(src["camera"]["yaw"]),
        "body": lambda src: "{sex}, {weight} weight, height {height:+.1f}".format(**src["body"]),
    }


def report(folder: Path) -> dict:
    """The whole score and each group's, as ``station evaluate --json``'s summary."""
    labels = json.loads((folder / "labels.json").read_text())["recordings"]
    source = {item["name"]: item["source"] for item in labels}
    settings = Settings()
    results: list[Result] = [run_recording(rec, settings) for rec in load_labels(folder)]
    out: dict = {"all": _summary(results), "recordings": {
        r.recording.name: {"expected": r.recording.expected_reps, "counted": len(r.reps),
                           "faults": [list(rep.faults) for rep in r.reps],
                           "truth": [sorted(f) for f in (r.recording.rep_faults or [])]}
        for r in results}}
    out["vision"] = {item["name"]: vision(folder, item) for item in labels}
    for group, key in _groups().items():
        names: dict[str, list[Result]] = {}
        for r in results:
            names.setdefault(key(source[r.recording.name]), []).append(r)
        out[group] = {k: _summary(v) for k, v in sorted(names.items())}
    return out


def vision(folder: Path, item: dict) -> dict:
    """What the station's vision saw against the truth: frames with a person, frames with a dowel,
    and the median difference (station minus truth, deg) of hip and knee flexion on still frames
    (standing and held at the bottom). The truth's angles are at MakeHuman's joint centres, not
    BlazePose's points, so a steady offset is expected; its spread is the figure."""
    truth = json.loads((folder / f"{item['name']}.truth.json").read_text())["frames"]
    person = dowel = 0
    hip: list[float] = []
    knee: list[float] = []
    with (folder / item["file"]).open(encoding="utf-8") as lines:
        for i, f in enumerate(read_stream(lines)):
            if not isinstance(f, StreamFrame) or f.pose is None:
                continue
            person += 1
            dowel += f.dowel is not None
            if truth[i]["phase"] in ("stand", "hold"):
                a = angles_of(f.pose, near_side(f.pose), facing_of(f.pose))
                if a.hip_flexion is not None and a.knee_flexion is not None:
                    hip.append(a.hip_flexion - truth[i]["hip_flexion"])
                    knee.append(a.knee_flexion - truth[i]["knee_flexion"])
    return {"frames": len(truth), "person": person, "dowel": dowel,
            "hip_diff": round(statistics.median(hip), 1) if hip else None,
            "knee_diff": round(statistics.median(knee), 1) if knee else None}


def _summary(results: list[Result]) -> dict:
    score = Score()
    for r in results:
        score.add(r)
    return summary_dict(score)


def print_report(doc: dict) -> None:
    def block(title: str, s: dict) -> None:
        print(f"{title}: count exact in {s['count_exact']} of {s['sets']} sets "
              f"({s['counted_reps']} counted, {s['expected_reps']} expected)")
        for code, f in s["faults"].items():
            if f["tp"] + f["fp"] + f["fn"]:
                p = "-" if f["precision"] is None else f"{f['precision']:.2f}"
                r = "-" if f["recall"] is None else f"{f['recall']:.2f}"
                print(f"  {code:18s} precision {p:>4s} recall {r:>4s}  "
                      f"(tp {f['tp']} fp {f['fp']} fn {f['fn']})")

    block("all", doc["all"])
    for group in ("camera", "body"):
        for name, s in doc[group].items():
            block(f"{group} {name}", s)
    print("vision: frames with a person, with a dowel; median station-minus-truth hip, knee (still frames)")
    for name, v in doc["vision"].items():
        print(f"  {name:16s} person {v['person']}/{v['frames']}  dowel {v['dowel']}/{v['frames']}  "
              f"hip {v['hip_diff']:+} knee {v['knee_diff']:+}")
    print("per recording: expected/counted reps; the coach's faults per rep vs the truth")
    for name, r in doc["recordings"].items():
        print(f"  {name:16s} {r['expected']}/{r['counted']}  coach {r['faults']}  truth {r['truth']}")
