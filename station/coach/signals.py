"""Per-frame signals of the hinge, measured against the member's own standing baseline.

Plain ``math`` on floats: the coach runs every frame and numpy's per-call cost would dominate
these few dozen numbers.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from station.coach import thresholds as th
from station.coach.geometry import Line, inclination_from_vertical
from station.coach.posture import head_pitch, hips_view_yaw, joint_angles, view_yaw
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
    head_pitch: float = 0.0  # the face's axis against the trunk (posture.head_pitch)
    # The face's axis (ear -> nose, a unit vector) along the dowel's normal towards the body: how
    # much of the ear's distance off the dowel is the head's own depth (see ``relative``).
    face_across: float | None = None
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
    head_pitch: float = 0.0
    # The back of the head to the ear along the face's axis, px: standing ready the back of the
    # head rests on the dowel, so the ear's distance off it is the head's depth there.
    head_depth: float | None = None

    @classmethod
    def average(cls, side: Side, facing: Side, frames: list[Raw]) -> Baseline:
        n = len(frames)

        def mean(attr: str) -> float:
            return sum(getattr(f, attr) for f in frames) / n

        with_dowel = [f for f in frames if f.dowel_dist is not None]
        dowel = depth = None
        if len(with_dowel) * 2 >= n:
            dowel = {c: sum(f.dowel_dist[c] for f in with_dowel if f.dowel_dist) / len(with_dowel)
                     for c in CONTACTS}
            across = [f.face_across for f in with_dowel if f.face_across is not None]
            face = sum(across) / len(across) if across else 0.0
            if face >= th.FACE_ACROSS_DOWEL_MIN:
                depth = dowel[Contact.HEAD] / face
        # The face's turn by its median: its axis is short, and one frame of swapped ears throws it.
        pitch = statistics.median(f.head_pitch for f in frames)
        return cls(side, facing, mean("hip_flexion"), mean("knee_flexion"), mean("head_spine"),
                   mean("hip_x"), mean("torso_px"), dowel, pitch, depth)


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


def midline_points(pose: Pose, side: Side) -> dict[Contact, tuple[float, float]]:
    """The shoulder and hip moved from the near side onto the back's midline, where the dowel lies,
    by the lateral half-width the camera sees, which the shoulders' pair shows (see
    ``HIP_PER_SHOULDER_WIDTH``); the head's is the near ear (the head is narrow, and the far ear's
    guess would move the head point more than its width does)."""
    far = Side.LEFT if side == Side.RIGHT else Side.RIGHT
    (nx, ny), (fx, fy) = _pt(pose, f"{side}_shoulder"), _pt(pose, f"{far}_shoulder")
    lx, ly = (nx - fx) / 2, (ny - fy) / 2
    hx, hy = _pt(pose, f"{side}_hip")
    k = th.HIP_PER_SHOULDER_WIDTH
    return {Contact.HEAD: _pt(pose, f"{side}_ear"), Contact.UPPER_BACK: (nx - lx, ny - ly),
            Contact.SACRUM: (hx - k * lx, hy - k * ly)}


def measure(pose: Pose, side: Side, facing: Side, dowel: Line | None) -> Raw:
    """The raw signals of one frame."""
    at = {c: _pt(pose, name) for c, name in _CONTACT_POINTS[side]}
    ear, shoulder, hip = at[Contact.HEAD], at[Contact.UPPER_BACK], at[Contact.SACRUM]
    a = joint_angles(ear, shoulder, hip, _pt(pose, f"{side}_knee"), _pt(pose, f"{side}_ankle"), facing)
    pitch = head_pitch(pose, side, facing)
    dist = across = None
    if dowel is not None:
        (x0, y0), (x1, y1) = dowel.p0, dowel.p1
        length = math.hypot(x1 - x0, y1 - y0)
        if length > 0:
            dx, dy = (x1 - x0) / length, (y1 - y0) / length
            mid = midline_points(pose, side)
            dist = {c: abs(dx * (py - y0) - dy * (px - x0)) for c, (px, py) in mid.items()}
            # The dowel's normal towards the body (the hip's side), and the face's axis along it.
            toward = 1.0 if dx * (hip[1] - y0) - dy * (hip[0] - x0) >= 0 else -1.0
            (nx, ny) = _pt(pose, "nose")
            face = math.hypot(nx - ear[0], ny - ear[1])
            if face > 0:
                across = toward * (dx * (ny - ear[1]) - dy * (nx - ear[0])) / face
    torso_px = math.hypot(shoulder[0] - hip[0], shoulder[1] - hip[1])
    return Raw(a.hip_flexion, a.knee_flexion, a.torso_inclination, a.head_spine, hip[0], torso_px, dist,
               view_yaw(pose), pitch, across, hips_view_yaw(pose))


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
    head_pitch: float = 0.0  # beyond standing, positive = the face turned towards the chest
    ear_gap: float | None = None  # the ear's own distance off the dowel beyond standing, torso lengths
    hips_yaw: float = 0.0  # the same from the hips alone (unsmoothed)


def relative(raw: Raw, base: Baseline) -> Signals:
    torso = max(base.torso_px, 1e-6)
    # Facing left, the wall is on the image right: travel towards it is +x.
    toward = 1.0 if base.facing == Side.LEFT else -1.0
    gaps = ear = None
    if raw.dowel_dist is not None and base.dowel_dist is not None:
        gaps = {c: (raw.dowel_dist[c] - base.dowel_dist[c]) / torso for c in CONTACTS}
        ear = gaps[Contact.HEAD]
        if base.head_depth is not None and raw.face_across is not None:
            # The back of the head, not the ear: it lies the head's depth behind it along the face's
            # axis, on the dowel standing. A head hanging in a rounded back turns that depth along
            # the dowel, so the ear stays as far off it while the back of the head leaves it.
            gaps[Contact.HEAD] = (raw.dowel_dist[Contact.HEAD] - base.head_depth * raw.face_across) / torso
    return Signals(
        raw.hip_flexion - base.hip_flexion,
        raw.knee_flexion - base.knee_flexion,
        raw.torso_inclination,
        raw.head_spine - base.head_spine,
        toward * (raw.hip_x - base.hip_x) / torso,
        gaps,
        raw.yaw,
        (raw.head_pitch - base.head_pitch + 180.0) % 360.0 - 180.0,
        ear,
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
