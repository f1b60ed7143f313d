"""Render one clip: the body posed through the drill, frame by frame, into PNGs and its truth.

    python -m tools.render frames good_side --out .cache/rendered   # needs bpy (the render env)

Writes ``OUT/NAME/frames/000000.png``... and ``OUT/NAME/truth.json``: the clip's settings, the
wall and pad in the image, per frame the truth of :meth:`tools.render.drill.Pose.frame` with the
image positions of the skeleton's joints, and per rep its timing and faults.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tools.render.body import Body
from tools.render.corpus import Clip
from tools.render.drill import Drill

SHIRT = ("spine", "clavicle", "shoulder", "upperarm", "breast")
PANTS = ("root", "pelvis", "upperleg", "lowerleg")
SHOES = ("foot", "toe")


def regions(body: Body) -> np.ndarray:
    """Each face's part (0 skin, 1 shirt, 2 pants, 3 shoes) from its vertices' strongest bone."""
    def code(bone: str) -> int:
        if bone.startswith("upperarm02"):
            return 0  # short sleeves
        for c, prefixes in ((1, SHIRT), (2, PANTS), (3, SHOES)):
            if bone.startswith(prefixes):
                return c
        return 0

    by_bone = np.array([code(b) for b in body.bones])
    part = by_bone[np.argmax(body.weights, axis=1)]
    return np.array([np.bincount(part[f], minlength=4).argmax() for f in body.faces])


def render_clip(clip: Clip, assets: Path, out: Path, limit: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> Path:
    """Render ``clip`` into ``out/clip.name``; that folder. ``limit`` renders only the first frames."""
    from tools.render.scene import Scene, to_blender

    folder = out / clip.name
    (folder / "frames").mkdir(parents=True, exist_ok=True)
    body = Body.load(assets, clip.shape)
    drill = Drill(body, clip.plan, clip.seed)
    hip_height = float(body.head["root"][1] - body.ground)
    scene = Scene(body.faces, len(body.verts), regions(body), body.ground, drill.wall_z, hip_height,
                  clip.look)
    frames = []
    total = int(drill.duration * clip.fps)
    n = total if limit is None else min(limit, total)
    started = time.monotonic()
    for i, (_, frame) in enumerate(drill.frames(clip.fps)):
        if i >= n:
            break
        scene.draw(frame.verts, frame.dowel)
        scene.render(folder / "frames" / f"{i:06d}.png")
        truth = frame.truth
        truth["dowel_px"] = [[round(c, 1) for c in scene.project(p)]
                             for p in to_blender(np.array(frame.dowel), body.ground)]
        frames.append(truth)
        if progress is not None:
            progress(i + 1, n)
    pad_top = scene.project(np.array([scene.pad_x, 0.0, hip_height + 0.15]))
    pad_bottom = scene.project(np.array([scene.pad_x, 0.0, hip_height - 0.15]))
    wall_floor = scene.project(np.array([scene.wall_x, 0.0, 0.0]))
    wall_top = scene.project(np.array([scene.wall_x, 0.0, 2.2]))
    doc = {
        "clip": clip.name, "seed": clip.seed, "fps": clip.fps, "notes": clip.notes,
        "body": asdict(clip.shape), "look": asdict(clip.look), "noise": clip.noise,
        "rest_fix_deg": {"thoracic_extension": drill.pose.fix[0], "neck_extension": drill.pose.fix[1]},
        "wall": {"pad_z_m": round(float(drill.wall_z), 4), "line_px": [wall_floor, wall_top],
                 "pad_px": [pad_bottom, pad_top]},
        "reps": drill.reps, "frames": frames, "render_s": round(time.monotonic() - started, 1),
        "plan": {"walk_in": clip.plan.walk_in, "settle": clip.plan.settle,
                 "reps": [{"faults": sorted(r.faults), "duration": r.duration, "pause": r.pause}
                          for r in clip.plan.reps]},
    }
    (folder / "truth.json").write_text(json.dumps(doc, indent=1))
    return folder
