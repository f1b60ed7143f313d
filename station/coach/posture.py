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

from station.coach import thresholds as th
from station.coach.geometry import Point, angle_between, inclination_from_vertical
from station.coach.vocabulary import Side, View
from station.pose.landmarks import INDEX, Pose
from station.pose.silhouette import Silhouette

SIDE_LANDMARKS = ("shoulder", "hip", "knee", "ankle", "ear", "elbow", "wrist")
# A side view puts the two shoulders (and hips) nearly on top of each other; a front view shows
# them a shoulder-width apart. Thresholds on that width in torso lengths.
FRONT_WIDTH = 0.45
# The same test in 3D, on world landmarks: in profile the shoulder axis points along the
# camera's depth axis.
SIDE_DEPTH_RATIO = 1.0
# A shank more than this far from vertical is nearer lying than standing: kneeling, on all fours.
# Standing on the feet it stays within about 35-40 deg even in a deep squat (ankle dorsiflexion
# ends near 40 deg with the knee bent: AAOS normal range 20 deg, weight-bearing lunge tests 35-45).
KNEELING_SHIN_DEG = 45.0


@dataclass(frozen=True)
class Angles:
    hip_flexion: float
    knee_flexion: float
    torso_inclination: float
    shin_angle: float
    head_spine: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 1) for k, v in self.__dict__.items()}


def near_side(pose: Pose) -> Side:
    """The body side nearer the camera (the more visible one)."""
    left = sum(pose.visibility[INDEX[f"left_{n}"]] for n in SIDE_LANDMARKS)
    right = sum(pose.visibility[INDEX[f"right_{n}"]] for n in SIDE_LANDMARKS)
    return Side.LEFT if left >= right else Side.RIGHT


def torso_length(pose: Pose) -> float:
    """Mid-hip to mid-shoulder distance in pixels (plain floats: the coach asks every frame)."""
    xy = pose.xy
    ls, rs = xy[INDEX["left_shoulder"]], xy[INDEX["right_shoulder"]]
    lh, rh = xy[INDEX["left_hip"]], xy[INDEX["right_hip"]]
    dx = (float(ls[0]) + float(rs[0]) - float(lh[0]) - float(rh[0])) / 2
    dy = (float(ls[1]) + float(rs[1]) - float(lh[1]) - float(rh[1])) / 2
    return math.hypot(dx, dy)


def _widths(pose: Pose) -> tuple[float, float]:
    """The shoulders' and the hips' width across the image, in torso lengths."""
    xy = pose.xy
    torso = max(torso_length(pose), 1e-6)
    shoulders = abs(float(xy[INDEX["left_shoulder"], 0]) - float(xy[INDEX["right_shoulder"], 0]))
    hips = abs(float(xy[INDEX["left_hip"], 0]) - float(xy[INDEX["right_hip"], 0]))
    return shoulders / torso, hips / torso


def width_per_torso(pose: Pose) -> float:
    """The shoulders' and hips' mean width across the image, in torso lengths: near 0 in profile,
    about half a torso face-on (plain floats: the coach asks every frame)."""
    shoulders, hips = _widths(pose)
    return (shoulders + hips) / 2


def view_of(pose: Pose) -> View:
    """:attr:`View.SIDE` when the camera sees the member in profile, else :attr:`View.FRONT`."""
    if pose.world is not None:
        s = pose.world[INDEX["left_shoulder"]] - pose.world[INDEX["right_shoulder"]]
        h = pose.world[INDEX["left_hip"]] - pose.world[INDEX["right_hip"]]
        depth = abs(s[2]) + abs(h[2])
        across = abs(s[0]) + abs(h[0])
        return View.SIDE if depth > SIDE_DEPTH_RATIO * across else View.FRONT
    return View.FRONT if width_per_torso(pose) > FRONT_WIDTH else View.SIDE


def view_yaw(pose: Pose) -> float:
    """How far from profile the camera sees the member, degrees (0 in profile, 90 face-on), from
    the shoulders' and hips' widths in the image (see ``FACE_ON_WIDTH_TORSO``).

    A rough figure (the far side's landmarks are partly guessed), meant for a median of upright
    frames: bent over, the pose model draws the far shoulder onto the near one and this reads short
    (see ``VIEW_UPRIGHT_TORSO_MAX``)."""
    return math.degrees(math.asin(min(1.0, width_per_torso(pose) / th.FACE_ON_WIDTH_TORSO)))


def hips_view_yaw(pose: Pose) -> float:
    """How far from profile the camera sees the member, degrees, from the hips' width alone (see
    ``HIPS_WIDTH_TORSO_IN_REP``): bent over, the pose model keeps the hips apart where it draws the
    shoulders together, so this one holds through a rep. Meant for a rep's median.

    A member in profile, then with the hips half their in-rep face-on width apart (30 deg off):

        >>> from station.pose.landmarks import LANDMARK_NAMES
        >>> import numpy as np
        >>> xy = np.zeros((len(LANDMARK_NAMES), 2))
        >>> xy[INDEX["left_shoulder"]] = xy[INDEX["right_shoulder"]] = (0, -100)
        >>> pose = Pose(xy, np.ones(len(LANDMARK_NAMES)), (640, 360))
        >>> round(hips_view_yaw(pose), 1)
        0.0
        >>> xy[INDEX["left_hip"]], xy[INDEX["right_hip"]] = (-10, 0), (10, 0)
        >>> round(hips_view_yaw(pose), 1)
        30.0
    """
    return math.degrees(math.asin(min(1.0, _widths(pose)[1] / th.HIPS_WIDTH_TORSO_IN_REP)))


def facing_of(pose: Pose) -> Side:
    """The way the member faces in the image.

    The feet point the way the member faces whatever the trunk and head do (a head hanging in a
    deep bend fools a nose-versus-ears test), so the toes against the heels decide; the nose
    against the ears only when the feet are not seen.

    Kneeling or on all fours the feet lie behind, toes pointing back; there the shank is nearer
    horizontal than vertical, and it hangs back from the knee (the knee bends one way only), so
    the knee ahead of the ankle gives the way.
    """
    vis = pose.visibility
    side = near_side(pose)
    knee, ankle = pose.point(f"{side}_knee"), pose.point(f"{side}_ankle")
    if inclination_from_vertical(ankle, knee) > KNEELING_SHIN_DEG:
        return Side.LEFT if knee[0] < ankle[0] else Side.RIGHT
    feet = [
        (pose.point(f"{s}_foot_index")[0] - pose.point(f"{s}_heel")[0],
         min(vis[INDEX[f"{s}_foot_index"]], vis[INDEX[f"{s}_heel"]]))
        for s in ("left", "right")
    ]
    weight = sum(w for _, w in feet)
    if weight > 0.6:
        toes = sum(dx * w for dx, w in feet) / weight
        if abs(toes) > 1.0:
            return Side.LEFT if toes < 0 else Side.RIGHT
    ears = (pose.point("left_ear") + pose.point("right_ear")) / 2
    return Side.LEFT if pose.point("nose")[0] < ears[0] else Side.RIGHT


def joint_angles(ear: Point, shoulder: Point, hip: Point, knee: Point, ankle: Point,
                 facing: Side) -> Angles:
    """The joint angles of one body side from its five points (image pixels); the one place the
    station does this maths, for a photo and for every frame of the coach alike.

        >>> a = joint_angles((0, -110), (0, -100), (0, 0), (0, 100), (0, 200), Side.RIGHT)
        >>> a.hip_flexion, a.knee_flexion, a.torso_inclination, a.head_spine
        (0.0, 0.0, 0.0, 0.0)
    """
    def minus(a: Point, b: Point) -> tuple[float, float]:
        return float(a[0]) - float(b[0]), float(a[1]) - float(b[1])

    hip_angle = 180.0 - angle_between(minus(shoulder, hip), minus(knee, hip))
    knee_angle = 180.0 - angle_between(minus(hip, knee), minus(ankle, knee))
    return Angles(hip_angle, knee_angle, inclination_from_vertical(hip, shoulder),
                  inclination_from_vertical(ankle, knee), head_spine(hip, shoulder, ear, facing))


def angles_of(pose: Pose, side: Side, facing: Side) -> Angles:
    """Joint angles on one body side (see the module docstring)."""
    p = {n: pose.point(f"{side}_{n}") for n in ("ear", "shoulder", "hip", "knee", "ankle")}
    return joint_angles(p["ear"], p["shoulder"], p["hip"], p["knee"], p["ankle"], facing)


def head_spine(hip: Point, shoulder: Point, ear: Point, facing: Side) -> float:
    """Signed angle of shoulder -> ear against hip -> shoulder; positive = head dropped forward."""
    ux, uy = float(shoulder[0]) - float(hip[0]), float(shoulder[1]) - float(hip[1])
    vx, vy = float(ear[0]) - float(shoulder[0]), float(ear[1]) - float(shoulder[1])
    magnitude = angle_between((ux, uy), (vx, vy))
    # Image y points down: for a member facing right (+x), a forward drop turns v clockwise on
    # screen, which is a positive cross product here. Facing left mirrors it.
    sign = 1.0 if (ux * vy - uy * vx >= 0) == (facing == Side.RIGHT) else -1.0
    return sign * magnitude


def head_pitch(pose: Pose, side: Side, facing: Side) -> float:
    """The face's axis (ear -> nose) against the trunk's forward normal (hip -> shoulder turned a
    right angle towards the face), on the near side, degrees in (-180, 180]: about 10-30 standing,
    growing as the face turns towards the chest.

    The head's own turn, where ``head_spine`` is where the ear went: a neck flexed about its base
    moves both alike; a nod (upper neck only) turns the face alone, and a misplaced ear moves the
    ear alone. Measured from the forward normal so that noise never wraps it round (a face axis
    pointing backwards, as a tracker's swapped ear draws it for a frame, reads near 180).

        >>> import numpy as np
        >>> from station.pose.landmarks import INDEX, NUM_LANDMARKS
        >>> xy = np.zeros((NUM_LANDMARKS, 2))
        >>> for name, p in {"right_hip": (0, 100), "right_shoulder": (0, 0), "right_ear": (0, -20),
        ...                 "nose": (10, -10)}.items():
        ...     xy[INDEX[name]] = p
        >>> round(head_pitch(Pose(xy, np.ones(NUM_LANDMARKS)), Side.RIGHT, Side.RIGHT), 1)
        45.0
    """
    hx, hy = pose.point(f"{side}_hip")
    sx, sy = pose.point(f"{side}_shoulder")
    ex, ey = pose.point(f"{side}_ear")
    nx, ny = pose.point("nose")
    ux, uy = float(sx) - float(hx), float(sy) - float(hy)
    # The trunk's forward normal: the trunk turned a right angle towards the way the member faces
    # (image y points down: facing right, up (0, -1) turns to (1, 0)).
    fx, fy = (-uy, ux) if facing == Side.RIGHT else (uy, -ux)
    vx, vy = float(nx) - float(ex), float(ny) - float(ey)
    turn = math.degrees(math.atan2(fx * vy - fy * vx, fx * vx + fy * vy))
    # Facing right a turn down (towards the chest) is clockwise on screen, a positive cross product.
    return turn if facing == Side.RIGHT else -turn


def phase_of(a: Angles) -> str:
    """A single photo's coarse phase: ``upright``, ``hinge`` or ``squat`` (no baseline)."""
    if a.knee_flexion >= th.PHOTO_SQUAT_KNEE_MIN_ABS and a.knee_flexion >= 0.6 * a.hip_flexion:
        return "squat"
    standing = a.hip_flexion < th.PHOTO_UPRIGHT_HIP_MAX_ABS or (
        a.torso_inclination < th.PHOTO_UPRIGHT_TORSO_MAX_ABS
        and a.hip_flexion < th.PHOTO_UPRIGHT_LEANING_HIP_MAX_ABS)
    if standing and a.knee_flexion < th.PHOTO_SQUAT_KNEE_MIN_ABS:
        return "upright"
    return "hinge"


def spine_of(a: Angles, back_bulge: float | None = None) -> str:
    """A single photo's spine: ``rounded`` or ``neutral`` (no baseline, no dowel).

    ``back_bulge`` is the back outline's bulge from the silhouette (coach/back_shape.py), when
    known: it sees a curved back that the landmarks' angles alone do not.
    """
    rounded = (a.torso_inclination > th.PHOTO_ROUNDED_TORSO_ABS
               or a.head_spine > th.PHOTO_ROUNDED_HEAD_SPINE_ABS
               or (back_bulge is not None and back_bulge > th.PHOTO_ROUNDED_BACK_BULGE))
    return "rounded" if rounded else "neutral"


def describe_frame(pose: Pose | None, record: dict[str, Any], silhouette: Silhouette | None = None) -> None:
    """Add the posture fields of ``station analyze --json`` to a frame's record (``back_bulge``
    too when the person's ``silhouette`` is given)."""
    if pose is None:
        record.update(view=None, facing=None, angles=None, phase=None, spine=None)
        return
    view = view_of(pose)
    side = near_side(pose)
    facing = facing_of(pose) if view == View.SIDE else None
    a = angles_of(pose, side, facing or Side.RIGHT)
    bulge = None
    if silhouette is not None and facing is not None:
        from station.coach.back_shape import back_bulge

        bulge = back_bulge(pose, silhouette, side, facing)
        record["back_bulge"] = None if bulge is None else round(bulge, 3)
    record.update(
        view=view,
        facing=facing,
        angles={k: v for k, v in a.as_dict().items() if k != "shin_angle"},
        phase=phase_of(a),
        spine=spine_of(a, bulge) if view == View.SIDE else "neutral" if phase_of(a) == "upright" else None,
    )
    record["angles"]["shin_angle"] = round(a.shin_angle, 1)
    if math.isnan(a.hip_flexion):
        record["phase"] = None
