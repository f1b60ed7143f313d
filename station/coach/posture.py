"""Single-frame posture: which side the camera sees, which way the member faces, joint angles.

Everything here is a pure function of one :class:`Pose`. The coach smooths these over time;
``station analyze`` reports them for a photo.

Angles (degrees), on the side nearer the camera:

- ``hip_flexion``: 0 standing tall, 90 with the torso at right angles to the thigh;
- ``knee_flexion``: 0 with a straight leg;
- ``torso_inclination``: hip -> shoulder from vertical, 0 upright;
- ``shin_angle``: ankle -> knee from vertical;
- ``head_spine``: the ear against the hip -> shoulder line, signed: positive when the head
  drops forward (flexion), negative when it tips back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from station.coach.geometry import angle_between, inclination_from_vertical
from station.pose.landmarks import INDEX, Pose

SIDE_LANDMARKS = ("shoulder", "hip", "knee", "ankle", "ear", "elbow", "wrist")
# A side view puts the two shoulders (and hips) nearly on top of each other; a front view shows
# them a shoulder-width apart. Thresholds on that width in torso lengths.
FRONT_WIDTH = 0.45
# The same test in 3D, on world landmarks: in profile the shoulder axis points along the
# camera's depth axis.
SIDE_DEPTH_RATIO = 1.0

# Single-frame phase and spine thresholds (degrees); the coach uses its Settings instead.
UPRIGHT_HIP_MAX = 30.0
UPRIGHT_TORSO_MAX = 20.0
UPRIGHT_HIP_LEANING = 45.0
SQUAT_KNEE_MIN = 60.0
# A hip hinge with a flat back and straight-ish legs stops near a horizontal torso (the
# hamstrings end it); shoulders well below the hips mean the spine flexed to get there.
ROUNDED_TORSO = 100.0
# Standing, the ear sits some 20-30 degrees in front of the hip -> shoulder line; a head
# dropped well beyond that is a flexed neck and upper back.
ROUNDED_HEAD_SPINE = 55.0


@dataclass(frozen=True)
class Angles:
    hip_flexion: float
    knee_flexion: float
    torso_inclination: float
    shin_angle: float
    head_spine: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 1) for k, v in self.__dict__.items()}


def near_side(pose: Pose) -> str:
    """"left" or "right": the body side nearer the camera (the more visible one)."""
    left = sum(pose.visibility[INDEX[f"left_{n}"]] for n in SIDE_LANDMARKS)
    right = sum(pose.visibility[INDEX[f"right_{n}"]] for n in SIDE_LANDMARKS)
    return "left" if left >= right else "right"


def torso_length(pose: Pose) -> float:
    """Mid-hip to mid-shoulder distance in pixels."""
    shoulders = (pose.point("left_shoulder") + pose.point("right_shoulder")) / 2
    hips = (pose.point("left_hip") + pose.point("right_hip")) / 2
    return float(np.hypot(*(shoulders - hips)))


def view_of(pose: Pose) -> str:
    """"side" when the camera sees the member in profile, else "front" (front or back)."""
    if pose.world is not None:
        s = pose.world[INDEX["left_shoulder"]] - pose.world[INDEX["right_shoulder"]]
        h = pose.world[INDEX["left_hip"]] - pose.world[INDEX["right_hip"]]
        depth = abs(s[2]) + abs(h[2])
        across = abs(s[0]) + abs(h[0])
        return "side" if depth > SIDE_DEPTH_RATIO * across else "front"
    torso = max(torso_length(pose), 1e-6)
    width = (
        abs(pose.point("left_shoulder")[0] - pose.point("right_shoulder")[0])
        + abs(pose.point("left_hip")[0] - pose.point("right_hip")[0])
    ) / 2
    return "front" if width / torso > FRONT_WIDTH else "side"


def facing_of(pose: Pose) -> str:
    """"left" when the member faces image-left, else "right".

    The feet point the way the member faces whatever the trunk and head do (a head hanging in a
    deep bend fools a nose-versus-ears test), so the toes against the heels decide; the nose
    against the ears only when the feet are not seen.
    """
    vis = pose.visibility
    feet = [
        (pose.point(f"{s}_foot_index")[0] - pose.point(f"{s}_heel")[0],
         min(vis[INDEX[f"{s}_foot_index"]], vis[INDEX[f"{s}_heel"]]))
        for s in ("left", "right")
    ]
    weight = sum(w for _, w in feet)
    if weight > 0.6:
        toes = sum(dx * w for dx, w in feet) / weight
        if abs(toes) > 1.0:
            return "left" if toes < 0 else "right"
    ears = (pose.point("left_ear") + pose.point("right_ear")) / 2
    return "left" if pose.point("nose")[0] < ears[0] else "right"


def angles_of(pose: Pose, side: str, facing: str) -> Angles:
    """Joint angles on one body side (see the module docstring)."""
    p = {n: pose.point(f"{side}_{n}") for n in ("shoulder", "hip", "knee", "ankle", "ear")}
    hip = 180.0 - angle_between(p["shoulder"] - p["hip"], p["knee"] - p["hip"])
    knee = 180.0 - angle_between(p["hip"] - p["knee"], p["ankle"] - p["knee"])
    torso = inclination_from_vertical(p["hip"], p["shoulder"])
    shin = inclination_from_vertical(p["ankle"], p["knee"])
    return Angles(hip, knee, torso, shin, head_spine(p["hip"], p["shoulder"], p["ear"], facing))


def head_spine(hip: np.ndarray, shoulder: np.ndarray, ear: np.ndarray, facing: str) -> float:
    """Signed angle of shoulder -> ear against hip -> shoulder; positive = head dropped forward."""
    u = shoulder - hip
    v = ear - shoulder
    magnitude = angle_between(u, v)
    cross = float(u[0] * v[1] - u[1] * v[0])
    # Image y points down: for a member facing right (+x), a forward drop turns v clockwise on
    # screen, which is a positive cross product here. Facing left mirrors it.
    sign = 1.0 if (cross >= 0) == (facing == "right") else -1.0
    return sign * magnitude


def phase_of(a: Angles) -> str:
    if a.knee_flexion >= SQUAT_KNEE_MIN and a.knee_flexion >= 0.6 * a.hip_flexion:
        return "squat"
    # Standing tall reads 5-25 degrees of hip flexion on real photos (where BlazePose puts the hip
    # joint); a trunk still near vertical keeps a little more than that upright too.
    standing = a.hip_flexion < UPRIGHT_HIP_MAX or (
        a.torso_inclination < UPRIGHT_TORSO_MAX and a.hip_flexion < UPRIGHT_HIP_LEANING)
    if standing and a.knee_flexion < SQUAT_KNEE_MIN:
        return "upright"
    return "hinge"


def spine_of(a: Angles) -> str:
    rounded = a.torso_inclination > ROUNDED_TORSO or a.head_spine > ROUNDED_HEAD_SPINE
    return "rounded" if rounded else "neutral"


def describe_frame(pose: Pose | None, record: dict[str, Any]) -> None:
    """Add the posture fields of ``station analyze --json`` to a frame's record."""
    if pose is None:
        record.update(view=None, facing=None, angles=None, phase=None, spine=None)
        return
    view = view_of(pose)
    side = near_side(pose)
    facing = facing_of(pose) if view == "side" else None
    a = angles_of(pose, side, facing or "right")
    record.update(
        view=view,
        facing=facing,
        angles={k: v for k, v in a.as_dict().items() if k != "shin_angle"},
        phase=phase_of(a),
        spine=spine_of(a) if view == "side" else "neutral" if phase_of(a) == "upright" else None,
    )
    record["angles"]["shin_angle"] = round(a.shin_angle, 1)
    if math.isnan(a.hip_flexion):
        record["phase"] = None
