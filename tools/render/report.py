"""``station evaluate``'s score on a rendered corpus, split by camera angle and by body.

    python -m tools.render report tests/data/rendered

Runs where the station is (its venv): each recording through a fresh coach with the default
settings (:func:`station.streams.evaluate.run_recording`), then per-fault precision and recall and
exact counts for the whole set, for side-on clips (under 10 deg off) and oblique ones, and per body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from station.config.settings import Settings
from station.streams.evaluate import Result, Score, load_labels, run_recording, summary_dict

SIDE_ON_DEG = 10.0  # a camera within this of side-on counts as side-on (the corpus has 0 and 12-25)


def _groups() -> dict[str, Callable[[dict], str]]:
    return {
        "camera": lambda src: "side-on" if abs(src["camera"]["yaw"]) < SIDE_ON_DEG
        else f"{SIDE_ON_DEG:.0f}-25 deg off",
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
    for group, key in _groups().items():
        names: dict[str, list[Result]] = {}
        for r in results:
            names.setdefault(key(source[r.recording.name]), []).append(r)
        out[group] = {k: _summary(v) for k, v in sorted(names.items())}
    return out


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
    print("per recording: expected/counted reps; the coach's faults per rep vs the truth")
    for name, r in doc["recordings"].items():
        print(f"  {name:16s} {r['expected']}/{r['counted']}  coach {r['faults']}  truth {r['truth']}")
