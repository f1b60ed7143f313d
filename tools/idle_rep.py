"""The good rep the member page's idle screen animates, made from the simulator's poses.

    .venv/bin/python tools/idle_rep.py [-o station/web/static/idle_rep.json]

One simulated member (no keypoint noise) stands, does one good hinge to the wall and stands tall
again. The coach watches it as it would a member, and each frame at 15 a second is kept in the
form the live page draws (:func:`station.web.live.member_view`: the near side's points in whole
pixels, the dowel's ends, the wall's x, depth and contacts), so the idle screen and the live
screen are drawn by the same code from the same kind of data.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station.coach.coach import Coach
from station.config.settings import Settings
from station.sim import Body, RepPlan, SetPlan, Trainee
from station.web.live import member_view

OUT = Path(__file__).resolve().parent.parent / "station" / "web" / "static" / "idle_rep.json"
FPS = 15
KEYS = ("pose", "dowel", "depth", "phase", "contacts")


def frames(seed: int = 0) -> dict:
    settings = Settings()
    plan = SetPlan(reps=(RepPlan(duration=3.0, pause_after=1.2),), approach_s=1.6, noise_px=0.0,
                   leave=False, fps=30.0)
    trainee = Trainee(Body(), plan, seed=seed)
    coach = Coach(settings)
    kept, wall, size = [], None, None
    for k, f in enumerate(trainee.frames()):
        step = coach.step(f.t, f.pose, f.dowel, f.wall_contact)
        if f.pose is None or k % round(30 / FPS):
            continue
        snap = step.snapshot.as_dict()
        snap["landmarks"] = f.pose.to_dict(0)
        if f.dowel is not None:
            snap["dowel"] = [*f.dowel.p0, *f.dowel.p1]
        view = member_view(snap, coach.baseline, settings.wall_travel)
        if view["wall"] is None:  # before the coach took the standing baseline
            continue
        wall, size = view["wall"], f.pose.size
        kept.append({k: view[k] for k in KEYS})
    assert coach.good == 1, "the simulated rep was not judged good"
    return {"fps": FPS, "size": list(size or (0, 0)), "wall": wall, "frames": kept}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = frames()
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"{args.out}: {len(data['frames'])} frames, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
