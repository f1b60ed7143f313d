"""Per-frame signals of the hinge, measured against the member's own standing baseline.

Plain ``math`` on floats: the coach runs every frame and numpy's per-call cost would dominate
these few dozen numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from station.coach.geometry import Line, inclination_from_vertical
from station.coach.posture import hips_view_yaw, joint_angles, view_yaw
from station.coach.vocabulary import CONTACTS, Contact, Side
from station.pose.landmarks import INDEX, Pose

# Landmarks that must be clearly seen for a frame to count, and the legs, which need only be found.
CORE = ("ear", "shoulder", "hip")
LEGS = ("knee", "ankle")
MIN_VISIBILITY = 0.5
LEG_MIN_VISIBILITY = 0.05
# How far outside the frame a found knee or ankle may lie, as a share of the frame's side.
# BlazePose places a joint just past the edge well (a camera framed tight at the feet puts the
# ankles there); one far outside is a guess.
LEG_OUTSIDE_MAX = 0.10
# A trunk further than this from vertical (hip -> shoulder) hangs upside down: deeper than any
# standing forward bend (the labelled standing toe-touch photo in ../shared/fixtures reads 121
# deg, the spine fully flexed), so the body is upside down or the track is wrong (the untrimmed
# real pistol-squat track reads 165-177 deg for 3.5 s while the camera is set up).
INVERTED_TORSO_ABS = 150.0


@dataclass(frozen=True)
class Raw:
    """One frame's geometry on the near side: angles in degrees, points in pixels."""

    hip_flexion: float
    knee_flexion: float
    torso_inclination: float
    head_spine: float
    hip_x: float
    torso_px: float
    dowel_dist: dict[Contact, float] | None  # each contact's landmark from the dowel line, px
    yaw: float = 0.0  # how far from profile the camera sees the member (posture.view_yaw)
    hips_yaw: float = 0.0  # the same from the hips alone (posture.hips_view_yaw)


@dataclass(frozen=True)
class Baseline:
    """The member standing ready: what every later frame of the set is compared with."""

    side: Side
    facing: Side
    hip_flexion: float
    knee_flexion: float
    head_spine: float
    hip_x: float
    torso_px: float
    dowel_dist: dict[Contact, float] | None

    @classmethod
    def average(cls, side: Side, facing: Side, frames: list[Raw]) -> Baseline:
        n = len(frames)

        def mean(attr: str) -> float:
            return sum(getattr(f, attr) for f in frames) / n

        with_dowel = [f.dowel_dist for f in frames if f.dowel_dist is not None]
        dowel = None
        if len(with_dowel) * 2 >= n:
            dowel = {c: sum(d[c] for d in with_dowel) / len(with_dowel) for c in CONTACTS}
        return cls(side, facing, mean("hip_flexion"), mean("knee_flexion"), mean("head_spine"),
                   mean("hip_x"), mean("torso_px"), dowel)


# Each side's contact landmarks by name, made once (the coach measures every frame).
_CONTACT_POINTS = {side: tuple((c, f"{side}_{c.landmark}") for c in CONTACTS) for side in Side}


def _pt(pose: Pose, name: str) -> tuple[float, float]:
    i = INDEX[name]
    return float(pose.xy[i, 0]), float(pose.xy[i, 1])


def whole_body_seen(pose: Pose, side: Side) -> bool:
    """Ear, shoulder and hip clearly seen; knee and ankle at least found and inside the frame.

    BlazePose often rates legs in dark trousers or in shadow as barely visible (0.1-0.4) while
    placing them well, so the legs only need to be there, not to look certain.
    """
    vis = pose.visibility
    if any(vis[INDEX[f"{side}_{n}"]] < MIN_VISIBILITY for n in CORE):
        return False
    w, h = pose.size
    for n in LEGS:
        i = INDEX[f"{side}_{n}"]
        if vis[i] < LEG_MIN_VISIBILITY:
            return False
        x, y = pose.xy[i]
        m = LEG_OUTSIDE_MAX
        if w and h and not (-m * w <= x <= (1 + m) * w and -m * h <= y <= (1 + m) * h):
            return False
    return True


def upright_enough(pose: Pose, side: Side) -> bool:
    """The near side's trunk is not upside down (see ``INVERTED_TORSO_ABS``)."""
    hip, shoulder = _pt(pose, f"{side}_hip"), _pt(pose, f"{side}_shoulder")
    return inclination_from_vertical(hip, shoulder) <= INVERTED_TORSO_ABS


def measure(pose: Pose, side: Side, facing: Side, dowel: Line | None) -> Raw:
    """The raw signals of one frame."""
    at = {c: _pt(pose, name) for c, name in _CONTACT_POINTS[side]}
    ear, shoulder, hip = at[Contact.HEAD], at[Contact.UPPER_BACK], at[Contact.SACRUM]
    a = joint_angles(ear, shoulder, hip, _pt(pose, f"{side}_knee"), _pt(pose, f"{side}_ankle"), facing)
    dist = None
    if dowel is not None:
        (x0, y0), (x1, y1) = dowel.p0, dowel.p1
        length = math.hypot(x1 - x0, y1 - y0)
        if length > 0:
            dx, dy = (x1 - x0) / length, (y1 - y0) / length
            dist = {c: abs(dx * (py - y0) - dy * (px - x0)) for c, (px, py) in at.items()}
    torso_px = math.hypot(shoulder[0] - hip[0], shoulder[1] - hip[1])
    return Raw(a.hip_flexion, a.knee_flexion, a.torso_inclination, a.head_spine, hip[0], torso_px, dist,
               view_yaw(pose), hips_view_yaw(pose))


@dataclass(frozen=True)
class Signals:
    """One frame relative to the baseline, smoothed: what the rules judge."""

    hip_flexion: float  # beyond standing
    knee_flexion: float  # beyond standing
    torso_inclination: float  # absolute
    head_spine: float  # beyond standing, positive = head dropped
    hip_travel: float  # towards the wall, torso lengths
    gaps: dict[Contact, float] | None  # each contact point's distance off the dowel, torso lengths
    yaw: float = 0.0  # this frame's view from profile, degrees (unsmoothed: a rep takes its median)
    hips_yaw: float = 0.0  # the same from the hips alone (unsmoothed)


def relative(raw: Raw, base: Baseline) -> Signals:
    torso = max(base.torso_px, 1e-6)
    # Facing left, the wall is on the image right: travel towards it is +x.
    toward = 1.0 if base.facing == Side.LEFT else -1.0
    gaps = None
    if raw.dowel_dist is not None and base.dowel_dist is not None:
        gaps = {c: (raw.dowel_dist[c] - base.dowel_dist[c]) / torso for c in CONTACTS}
    return Signals(
        raw.hip_flexion - base.hip_flexion,
        raw.knee_flexion - base.knee_flexion,
        raw.torso_inclination,
        raw.head_spine - base.head_spine,
        toward * (raw.hip_x - base.hip_x) / torso,
        gaps,
        raw.yaw,
        raw.hips_yaw,
    )


class Smoother:
    """Exponential smoothing with a time constant, so uneven frame times smooth alike."""

    def __init__(self, tau: float) -> None:
        self.tau = tau
        self._t: float | None = None
        self._v: dict[str, float] = {}

    def reset(self) -> None:
        self._t = None
        self._v = {}

    def __call__(self, t: float, values: dict[str, float]) -> dict[str, float]:
        if self._t is None or self.tau <= 0:
            self._v = dict(values)
        else:
            a = 1.0 - math.exp(-max(t - self._t, 0.0) / self.tau)
            for k, v in values.items():
                prev = self._v.get(k)
                self._v[k] = v if prev is None else prev + a * (v - prev)
            for k in list(self._v):
                if k not in values:
                    del self._v[k]
        self._t = t
        return dict(self._v)
