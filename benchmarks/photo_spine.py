"""Spine and phase of `station analyze` against a coach's labels on real photos: confusion tables.

    .venv/bin/python benchmarks/photo_spine.py [FOLDER ...] [--window] [--model full_int8]

Each FOLDER holds photos and a ``labels.json`` ({name: {view, phase, spine, why}}; a null phase is
a photo in none of the standing phases: kneeling, on all fours). Defaults: tests/data/photos and
../shared/fixtures/photos. The photos go through the real command, ``station analyze --json``, in
one run; the table counts label (rows) against reading (columns), and every photo is listed with
the numbers its reading came from.

``--window`` also reads each photo's rounding window (tests/helpers/images.py: the photo and 12
copies moved +-1 grey level) and gives the share of its frames that agree with the label: how
firmly a reading stands against another OpenCV build's rounding.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANGLES = ("hip_flexion", "knee_flexion", "torso_inclination", "head_spine")
DEFAULT = [ROOT / "tests" / "data" / "photos", ROOT.parent / "shared" / "fixtures" / "photos"]


def analyze(paths: list[Path], model: str) -> dict[str, dict]:
    """`station analyze --json` on the paths: each file's record."""
    cmd = [sys.executable, "-m", "station", "analyze", "--json", "--model", model, *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return {rec["file"]: rec for rec in map(json.loads, done.stdout.splitlines())}


def table(title: str, rows: list[tuple[str, str]], classes: list[str]) -> str:
    """A markdown confusion table of (label, reading) pairs."""
    counts = Counter(rows)
    head = f"| {title}: label \\ read | " + " | ".join(classes) + " |"
    lines = [head, "|" + "---|" * (len(classes) + 1)]
    for want in classes:
        if any(w == want for w, _ in rows):
            lines.append(f"| {want} | " + " | ".join(str(counts[(want, got)]) for got in classes) + " |")
    agree = sum(n for (w, g), n in counts.items() if w == g)
    return "\n".join(lines) + f"\n\n{agree} of {len(rows)} agree."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--window", action="store_true", help="also read each photo's rounding window")
    parser.add_argument("--model", default="full", help="the landmark model, as `station analyze --model`")
    args = parser.parse_args()
    labelled = {}
    for folder in args.folders:
        if not (folder / "labels.json").is_file():
            print(f"skipped {folder}: no labels.json", file=sys.stderr)
            continue
        for name, label in json.loads((folder / "labels.json").read_text()).items():
            labelled[folder / name] = label
    recs = analyze(list(labelled), args.model)
    spine, phase = [], []
    print("| photo | label | read | hip | knee | torso | head | bulge |")
    print("|---|---|---|---|---|---|---|---|")
    for path, label in labelled.items():
        rec = recs[str(path)]
        a = rec["angles"] or {}
        got_spine = rec["spine"] or "none"
        spine.append((label["spine"], got_spine))
        if label["phase"] is not None:
            phase.append((label["phase"], rec["phase"] or "none"))
        mark = "" if got_spine == label["spine"] else " **x**"
        angles = " | ".join(str(a.get(k)) for k in ANGLES)
        print(f"| {path.name} | {label['view']} {label['phase']} {label['spine']} "
              f"| {rec['view']} {rec['phase']} {got_spine}{mark} | {angles} | {rec.get('back_bulge')} |")
    print()
    print(table("spine", spine, ["neutral", "rounded", "none"]))
    print()
    print(table("phase", phase, ["upright", "hinge", "squat", "none"]))
    if args.window:
        print()
        print(window_agreement(labelled, args.model))
    return 0


def window_agreement(labelled: dict[Path, dict], model: str) -> str:
    """Each photo's share of rounding-window frames whose spine and phase agree with its label."""
    import cv2

    sys.path.insert(0, str(ROOT))
    from station.camera.files import read_image
    from tests.helpers.images import rounding_window

    with tempfile.TemporaryDirectory() as tmp:
        copies: dict[str, Path] = {}
        for path in labelled:
            for k, rgb in enumerate(rounding_window(read_image(path))):
                copy = Path(tmp) / f"{path.stem}.{k}.bmp"
                cv2.imwrite(str(copy), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
                copies[str(copy)] = path
        recs = analyze([Path(p) for p in copies], model)
    agree: dict[Path, Counter] = {path: Counter() for path in labelled}
    bulges: dict[Path, list[float | None]] = {path: [] for path in labelled}
    for file, rec in recs.items():
        path = copies[file]
        label = labelled[path]
        agree[path]["frames"] += 1
        agree[path]["spine"] += rec["spine"] == label["spine"]
        agree[path]["phase"] += label["phase"] is None or rec["phase"] == label["phase"]
        agree[path]["view"] += rec["view"] == label["view"]
        bulges[path].append(rec.get("back_bulge"))
    lines = ["| photo | spine agrees | phase agrees | view agrees | bulge (min-max, unknown) |",
             "|---|---|---|---|---|"]
    for path, c in agree.items():
        known = [b for b in bulges[path] if b is not None]
        spread = f"{min(known):.3f}-{max(known):.3f}" if known else "-"
        n = c["frames"]
        lines.append(f"| {path.name} | {c['spine']}/{n} | {c['phase']}/{n} | {c['view']}/{n} "
                     f"| {spread}, {len(bulges[path]) - len(known)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
