"""How often the dowel finder sees a dowel where there is none: on gym photos of people without a
dowel (yuhonas/free-exercise-db, public domain: red walls, wooden floors, racks, orange plates).

    git clone https://github.com/yuhonas/free-exercise-db /tmp/free-exercise-db   # or any copy
    python benchmarks/dowel_false_finds.py /tmp/free-exercise-db [--every 4]

Takes every N-th exercise's first photo (``exercises/*/0.jpg``), runs the pose engine, and counts
the photos with a person in which a dowel is found; each find is listed for a look.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np


def photos(repo: Path, every: int) -> list[tuple[str, np.ndarray]]:
    """(name, RGB) of every ``every``-th exercise's first photo, read from a clone or a bare mirror."""
    git = ["git", "--git-dir", str(repo / ".git") if (repo / ".git").exists() else str(repo)]
    names = subprocess.run([*git, "ls-tree", "-r", "--name-only", "HEAD", "exercises"], check=True,
                           capture_output=True, text=True).stdout.split()
    chosen = [n for n in names if n.endswith("/0.jpg")][every - 1::every]
    out = []
    for name in chosen:
        blob = subprocess.run([*git, "show", f"HEAD:{name}"], check=True, capture_output=True).stdout
        bgr = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_COLOR)
        if bgr is not None:
            out.append((name.split("/")[1], cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return out


def main(argv: list[str] | None = None) -> int:
    from station.coach.dowel import find_dowel
    from station.config.paths import models_dir
    from station.config.settings import Settings
    from station.pose.blazepose import PoseEstimator

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", type=Path, help="a clone (or mirror) of yuhonas/free-exercise-db")
    p.add_argument("--every", type=int, default=4, help="take every N-th exercise (default 4)")
    args = p.parse_args(argv)
    if not (args.repo / ".git").exists() and not (args.repo / "HEAD").exists():
        print(f"{args.repo} is not a git clone of free-exercise-db", file=sys.stderr)
        return 2
    estimator = PoseEstimator.from_folder(models_dir(), threads=2)
    settings = Settings()
    shots = photos(args.repo, args.every)
    posed = found = 0
    for i, (name, rgb) in enumerate(shots, 1):
        pose = estimator.process(rgb, video=False)
        if pose is not None:
            posed += 1
            line = find_dowel(rgb, pose, settings)
            if line is not None:
                found += 1
                ends = " -> ".join(f"{x:.0f},{y:.0f}" for x, y in (line.p0, line.p1))
                print(f"  dowel found in {name}: {ends}")
        print(f"\r{i}/{len(shots)} photos", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"photos {len(shots)}, with a person {posed}, a dowel found in {found} "
          f"({found / max(posed, 1):.1%}) where there is none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
