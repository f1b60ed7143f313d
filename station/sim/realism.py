"""How noisy a pose track is, measured the same way on real tracks and on the simulator's, so the
simulator's noise can be held against reality.

Jitter is what is left of a landmark's path after a centred moving average over a few frames (the
movement itself is smooth at 30 fps over 0.17 s; the detector's frame-to-frame wobble is not), in
torso lengths, on the near side's coach landmarks. Drops are frames where the pose was missing.

    >>> from station.sim import Body, RepPlan, SetPlan, Trainee
    >>> frames = list(Trainee(Body(), SetPlan(reps=(RepPlan(),), noise_px=2.0), seed=1).frames())
    >>> noise = track_noise([(f.t, f.pose) for f in frames])
    >>> 0.003 < noise.jitter["hip"] < 0.03, noise.frames > 100
    (True, True)
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from station.coach.posture import near_side
from station.pose.landmarks import INDEX, Pose

JOINTS = ("ear", "shoulder", "hip", "knee", "ankle")
WINDOW = 5  # frames of the moving average: 0.17 s at 30 fps


@dataclass(frozen=True)
class TrackNoise:
    """Median jitter by joint (torso lengths), the share of frames without a pose, and how many
    frames the figures come from."""

    jitter: dict[str, float]
    drop_share: float
    frames: int

    def row(self) -> str:
        joints = " ".join(f"{j} {100 * v:5.2f}" for j, v in self.jitter.items())
        return f"{joints}  (% torso)  drops {100 * self.drop_share:4.1f} %  frames {self.frames}"


def track_noise(track: Iterable[tuple[float, Pose | None]]) -> TrackNoise:
    """The noise of one continuous track of (time, pose) frames."""
    poses = [p for _, p in track]
    seen = [p for p in poses if p is not None]
    if len(seen) < WINDOW * 2:
        return TrackNoise(dict.fromkeys(JOINTS, float("nan")), 0.0, len(poses))
    side = near_side(seen[len(seen) // 2])
    torso = statistics.median(
        float(np.hypot(*(p.xy[INDEX[f"{side}_shoulder"]] - p.xy[INDEX[f"{side}_hip"]]))) for p in seen)
    jitter = {}
    kernel = np.ones(WINDOW) / WINDOW
    for joint in JOINTS:
        path = np.array([p.xy[INDEX[f"{side}_{joint}"]] for p in seen], float)
        smooth = np.column_stack([np.convolve(path[:, k], kernel, "valid") for k in (0, 1)])
        half = WINDOW // 2
        residual = np.hypot(*(path[half:len(path) - half] - smooth).T)
        jitter[joint] = float(np.median(residual)) / max(torso, 1e-6)
    return TrackNoise(jitter, 1 - len(seen) / len(poses), len(poses))
