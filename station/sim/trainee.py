"""A simulated member doing the dowel drill, seen from the side: poses, dowel and switch, with truth.

A planar stick figure: ankle, shank, thigh, torso and neck angles make every landmark; a rep moves
a depth ``u`` from 0 (standing) to 1 (buttocks at the wall) and back on a cosine ease. Faults bend
the figure or the dowel away from the neutral drill, ramping in towards the bottom of the rep.

    >>> from station.sim.plan import RepPlan, SetPlan
    >>> trainee = Trainee(Body(), SetPlan(reps=(RepPlan(),)), seed=1)
    >>> frames = list(trainee.frames())
    >>> [r.touched_wall for r in trainee.truth], any(f.wall_contact for f in frames)
    ([True], True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from station.coach.geometry import Line
from station.coach.vocabulary import FaultCode, Phase, Side
from station.pose.landmarks import INDEX, NUM_LANDMARKS, Pose
from station.sim.body import Body
from station.sim.noise import PROFILES, STANDS_FOR
from station.sim.plan import RepPlan, SetPlan

# Heels to wall, m: "a foot" for a 1.75 m member, scaled with height like the member's own foot
# (a short member at a fixed 30 cm would need the knees past soft to reach the wall).
WALL_GAP = 0.30
WALL_GAP_HEIGHT = 1.75
GLUTE = 0.03  # m, the buttocks behind the back line at the hip
PRESS = 0.01  # m, how far the bottom of a good rep would go past the wall
DOWEL_FAULT = 0.10  # m, a contact point off the dowel at the bottom of a faulty rep
GOOD_SHIN = -17.0  # deg, the shank tipped back at the bottom of a soft-kneed hinge
HEAD_DROP = 35.0  # deg, the neck's flexion in head_off_dowel and rounded_back
STOOP_DEPTH = 0.6  # a stooped start: this share of rep 1's depth (hips some 50-70 deg flexed)
STOOP_S, STAND_UP_S = 1.0, 1.0  # stooped when first seen, then standing up
ABSENT_S = 0.5  # unseen at the start, walking in
LEAVE_S = 4.0  # unseen at the end, gone
NEAR_VIS, FAR_VIS = 0.95, 0.55


@dataclass(frozen=True)
class SimFrame:
    t: float
    pose: Pose | None
    dowel: Line | None
    wall_contact: bool | None
    phase: Phase  # the truth
    rep: int  # rep in progress (1-based), 0 between reps


@dataclass(frozen=True)
class RepTruth:
    rep: int
    t_start: float
    t_end: float
    faults: frozenset[FaultCode]
    touched_wall: bool


@dataclass(frozen=True)
class _Shape:
    """Joint angles (deg): shank and thigh from vertical (shank forward, thigh back), torso forward
    from vertical, head ahead of the torso line."""

    shin: float
    thigh: float
    torso: float
    head: float


@dataclass(frozen=True)
class _Segment:
    """A stretch of time: the depth goes from u0 to u1 (cosine ease) over [t0, t1]."""

    t0: float
    t1: float
    u0: float
    u1: float
    rep: int  # 0 outside reps
    phase: Phase


class Trainee:
    """One set of the drill by one body, deterministic for a seed."""

    def __init__(self, body: Body, plan: SetPlan, seed: int = 0,
                 frame_size: tuple[int, int] = (1280, 720)) -> None:
        self.body = body
        self.plan = plan
        self.seed = seed
        self.frame_size = frame_size
        rng = random.Random(seed)
        self._last_rep = 0
        b = body
        self.stand = _Shape(0.0, 0.0, rng.uniform(0.0, 4.0), b.head_forward)
        self._heel_x = -0.25 * b.foot
        self._wall_x = self._heel_x - WALL_GAP * b.height / WALL_GAP_HEIGHT
        self._scale = rng.uniform(0.62, 0.78) * frame_size[1] / b.height  # px per m
        self._bottoms = [self._bottom(r, rng) for r in plan.reps]
        self._lost = [rng.uniform(0.6, 1.2) for _ in plan.reps]
        self._segments, self.truth = self._timeline()
        hip0 = self._points(self.stand)["hip"][0]
        touch = self._solve_thigh(GOOD_SHIN, 75.0, self._wall_x)
        hip1 = self._points(_Shape(GOOD_SHIN, touch, 75.0, b.head_forward))["hip"][0]
        self.wall_travel = round((hip0 - hip1) / b.torso, 4)
        """Hip travel from standing to the wall, in torso lengths (what a calibration measures)."""

    # ------------------------------------------------------------------ planning
    def _solve_thigh(self, shin: float, torso: float, buttock_x: float) -> float:
        """The thigh angle that puts the buttocks at ``buttock_x`` for this shank and torso."""
        b = self.body
        knee_x = b.shank * math.sin(math.radians(shin))
        back = (b.back_depth + GLUTE) * math.cos(math.radians(torso))
        s = (knee_x - back - buttock_x) / b.thigh
        return math.degrees(math.asin(max(-1.0, min(1.0, s))))

    def _bottom(self, rep: RepPlan, rng: random.Random) -> _Shape:
        head = self.body.head_forward
        if FaultCode.SQUAT in rep.faults:
            return _Shape(rng.uniform(33, 38), rng.uniform(50, 55), rng.uniform(35, 45), head)
        # Soft knees: the shank tips back as the hips go back, the knee bends some 5-20 deg.
        shin = GOOD_SHIN + rng.uniform(-1.5, 1.5)
        torso = rng.uniform(62.0, 82.0)
        if FaultCode.KNEES_TOO_BENT in rep.faults:
            # The shank stays upright and the knee bends 35-55 deg, the hips still go back.
            shin = rng.uniform(-4.0, 0.0)
        target = self._wall_x - PRESS
        if FaultCode.NO_WALL_TOUCH in rep.faults:
            shin = rng.uniform(-12.0, -8.0)  # a shallow dip with the knees unlocked
            hip0 = self._points(self.stand)["hip"][0]
            full = self._points(_Shape(shin, self._solve_thigh(shin, torso, target), torso, head))["hip"][0]
            share = rng.uniform(0.25, 0.35)
            torso = rng.uniform(40.0, 50.0)
            # Find the thigh angle that travels only ``share`` of the way (bisection: monotonic).
            lo, hi = 0.0, 60.0
            for _ in range(30):
                mid = (lo + hi) / 2
                x = self._points(_Shape(shin, mid, torso, head))["hip"][0]
                lo, hi = (mid, hi) if (hip0 - x) < share * (hip0 - full) else (lo, mid)
            return _Shape(shin, lo, torso, head)
        return _Shape(shin, self._solve_thigh(shin, torso, target), torso, head)

    def _timeline(self) -> tuple[list[_Segment], list[RepTruth]]:
        p = self.plan
        segs = [_Segment(0.0, ABSENT_S, 0, 0, 0, Phase.AWAY)]
        t = ABSENT_S
        if p.start == "stooped":
            segs += [_Segment(t, t + STOOP_S, STOOP_DEPTH, STOOP_DEPTH, 0, Phase.READY),
                     _Segment(t + STOOP_S, t + STOOP_S + STAND_UP_S, STOOP_DEPTH, 0, 0, Phase.READY)]
            t += STOOP_S + STAND_UP_S
        if p.start != "bottom":
            segs.append(_Segment(t, t + p.approach_s, 0, 0, 0, Phase.READY))
            t += p.approach_s
        u = 1.0 if p.start == "bottom" else 0.0
        truth = []
        for i, rep in enumerate(p.reps, start=1):
            d = rep.duration
            down, hold = 0.4 * d, 0.15 * d
            if rep.hold_s is not None:  # a longer hold (calibration) makes the rep longer
                d, hold = d - hold + rep.hold_s, rep.hold_s
            rest = p.lockout_share
            if FaultCode.NO_LOCKOUT in rep.faults:
                rest = self._rest_depth(self._bottoms[i - 1])
            touched = not rep.faults & {FaultCode.SQUAT, FaultCode.NO_WALL_TOUCH}
            bottom = Phase.AT_WALL if touched else Phase.HINGING
            if i == 1 and p.start == "bottom":
                # Parked at the bottom, then up: the first rep is its second half.
                down, hold = 0.0, p.approach_s
                d = hold + 0.45 * rep.duration
            segs += [_Segment(t, t + down, u, 1.0, i, Phase.HINGING),
                     _Segment(t + down, t + down + hold, 1.0, 1.0, i, bottom),
                     _Segment(t + down + hold, t + d, 1.0, rest, i, Phase.RETURNING)]
            truth.append(RepTruth(i, t, t + d, rep.faults, touched))
            t += d
            segs.append(_Segment(t, t + rep.pause_after, rest, rest, 0, Phase.READY))
            t += rep.pause_after
            u = rest
        if u > 0:
            segs.append(_Segment(t, t + 1.0, u, 0.0, 0, Phase.READY))
            t += 1.0
        segs.append(_Segment(t, t + 1.0, 0, 0, 0, Phase.READY))
        t += 1.0
        if p.leave:
            segs.append(_Segment(t, t + LEAVE_S, 0, 0, 0, Phase.AWAY))
        return segs, truth

    def _rest_depth(self, bottom: _Shape) -> float:
        """The depth where the hips stay flexed ~45 deg beyond standing: a rep not locked out."""
        span = (bottom.torso + bottom.thigh) - (self.stand.torso + self.stand.thigh)
        return min(0.8, 45.0 / max(span, 1.0))

    # ------------------------------------------------------------------ geometry (metres, x forward, y up)
    def _points(self, s: _Shape) -> dict[str, np.ndarray]:
        b = self.body
        r = math.radians
        ankle = np.array([0.0, b.ankle_height])
        knee = ankle + b.shank * np.array([math.sin(r(s.shin)), math.cos(r(s.shin))])
        hip = knee + b.thigh * np.array([-math.sin(r(s.thigh)), math.cos(r(s.thigh))])
        shoulder = hip + b.torso * np.array([math.sin(r(s.torso)), math.cos(r(s.torso))])
        neck = r(s.torso + s.head)
        ear = shoulder + b.neck * np.array([math.sin(neck), math.cos(neck)])
        return {"ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder, "ear": ear}

    def _shape_at(self, u: float, rep: int) -> _Shape:
        a = self.stand
        if rep == 0:
            # Between reps (or holding a rep that was not locked out) the last rep's bottom applies;
            # before the first (a stooped start), the first's.
            rep = self._last_rep or 1
        if u == 0 or not self._bottoms:
            return a
        z = self._bottoms[rep - 1]
        return _Shape(a.shin + u * (z.shin - a.shin), a.thigh + u * (z.thigh - a.thigh),
                      a.torso + u * (z.torso - a.torso), a.head + u * (z.head - a.head))

    def _body(self, u: float, rep: int, faults: frozenset[FaultCode]
              ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray], bool]:
        """Landmark positions (m), the dowel's ends (m) and the wall contact at depth ``u`` of a rep."""
        b = self.body
        shape = self._shape_at(u, rep)
        p = self._points(shape)
        touching = False
        if rep or self._last_rep:
            buttock = p["hip"][0] - (b.back_depth + GLUTE) * math.cos(math.radians(shape.torso))
            touching = bool(buttock <= self._wall_x + 1e-6)
        t_dir = p["shoulder"] - p["hip"]
        t_dir = t_dir / np.hypot(*t_dir)
        back = np.array([-t_dir[1], t_dir[0]])  # the torso's back normal (x forward, y up)
        if back[0] > 0:
            back = -back
        # Fault amounts ramp in over the deeper part of the rep.
        f = min(1.0, max(0.0, (u - 0.3) / 0.5))
        f = f * f * (3 - 2 * f)
        dowel_shift = np.zeros(2)
        sacrum_shift = np.zeros(2)
        head_pts = ("ear",)
        if f > 0 and faults:
            if FaultCode.ROUNDED_BACK in faults:
                for k in ("shoulder", *head_pts):
                    p[k] = p[k] + DOWEL_FAULT * f * back
                dowel_shift = DOWEL_FAULT * f * back
                p["ear"] = _rotate(p["ear"], p["shoulder"], -HEAD_DROP * f)
            if FaultCode.HEAD_OFF_DOWEL in faults:
                p["ear"] = _rotate(p["ear"], p["shoulder"], -HEAD_DROP * f)
            if FaultCode.UPPER_BACK_OFF_DOWEL in faults:
                p["shoulder"] = p["shoulder"] - DOWEL_FAULT * f * back
            if FaultCode.SACRUM_OFF_DOWEL in faults:
                # The pelvis tucks: the dowel pivots on the upper back and its foot leaves the sacrum.
                sacrum_shift = DOWEL_FAULT * f * back
        neutral = self._points(shape)
        s_pt = neutral["hip"] + b.back_depth * back + dowel_shift + sacrum_shift
        u_pt = neutral["shoulder"] + b.back_depth * back + dowel_shift
        d = (u_pt - s_pt) / np.hypot(*(u_pt - s_pt))
        dowel = (s_pt - 0.12 * d, u_pt + 0.45 * d)
        return p, dowel, touching

    # ------------------------------------------------------------------ frames
    def frames(self) -> Iterator[SimFrame]:
        p = self.plan
        rng = np.random.default_rng(self.seed)
        drop = random.Random(self.seed + 1)
        profile = PROFILES.get(p.noise)
        drop_rate = max(p.drop_rate, profile.drop_share) if profile else p.drop_rate
        dt = 1.0 / p.fps
        before: dict[str, np.ndarray] | None = None
        end = self._segments[-1].t1
        n = int(end / dt)
        seg_i = 0
        self._last_rep = 0
        for k in range(n + 1):
            t = k * dt
            while seg_i < len(self._segments) - 1 and t >= self._segments[seg_i].t1:
                seg_i += 1
            seg = self._segments[seg_i]
            if seg.rep:
                self._last_rep = seg.rep
            if seg.phase == Phase.AWAY:
                yield SimFrame(round(t, 4), None, None, None if not p.switch else False, seg.phase, 0)
                continue
            s = min(1.0, max(0.0, (t - seg.t0) / max(seg.t1 - seg.t0, 1e-9)))
            u = seg.u0 + (seg.u1 - seg.u0) * (1 - math.cos(math.pi * s)) / 2
            rep_no = seg.rep
            faults = p.reps[rep_no - 1].faults if rep_no else frozenset()
            pts, dowel, touching = self._body(u, rep_no or self._last_rep, faults)
            # Each joint's true speed, torso lengths per second: real jitter grows with it.
            speeds = {j: float(np.hypot(*(pts[j] - before[j]))) / dt / self.body.torso if before else 0.0
                      for j in pts}
            before = pts
            contact = touching if p.switch else None
            lost = False
            if rep_no and FaultCode.LOST_TRACKING in faults:
                truth = self.truth[rep_no - 1]
                mid = truth.t_start + 0.475 * (truth.t_end - truth.t_start)
                lost = abs(t - mid) <= self._lost[rep_no - 1] / 2
            if lost or drop.random() < drop_rate:
                yield SimFrame(round(t, 4), None, None, contact, seg.phase, rep_no)
                continue
            pose = self._pose(pts, rng, speeds)
            line = None if drop.random() < p.dowel_miss_rate else self._line(dowel, rng)
            yield SimFrame(round(t, 4), pose, line, contact, seg.phase, rep_no)

    def _px(self, xy: np.ndarray) -> np.ndarray:
        w, h = self.frame_size
        sign = 1.0 if self.plan.facing == Side.RIGHT else -1.0
        x0 = w * (0.42 if self.plan.facing == Side.LEFT else 0.58)
        return np.stack([x0 + sign * xy[..., 0] * self._scale, 0.92 * h - xy[..., 1] * self._scale], axis=-1)

    def _line(self, ends: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> Line:
        a, b = self._px(np.array(ends)) + rng.normal(0, 0.5, (2, 2))
        return Line((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))

    def _pose(self, p: dict[str, np.ndarray], rng: np.random.Generator, speeds: dict[str, float]) -> Pose:
        b = self.body
        # In profile the camera sees the side the member turns to it: facing image-right, the right
        # side (as BlazePose reports real photos too).
        near = self.plan.facing
        far = Side.RIGHT if near == Side.LEFT else Side.LEFT
        ear, shoulder, hip = p["ear"], p["shoulder"], p["hip"]
        up = (ear - shoulder) / np.hypot(*(ear - shoulder))  # the head's own up
        fwd = np.array([up[1], -up[0]])  # the way the face points
        hang = np.array([0.0, -1.0])
        elbow = shoulder + b.upper_arm * hang + np.array([0.02, 0.0])
        wrist = elbow + b.forearm * hang
        ankle = p["ankle"]
        heel = np.array([self._heel_x, 0.02 * b.height])
        toe = np.array([0.75 * b.foot, 0.01 * b.height])
        m = {
            "nose": ear + 0.10 * fwd - 0.01 * up, "mouth": ear + 0.085 * fwd - 0.05 * up,
            "eye_inner": ear + 0.085 * fwd + 0.025 * up, "eye": ear + 0.075 * fwd + 0.025 * up,
            "eye_outer": ear + 0.065 * fwd + 0.025 * up, "ear": ear, "shoulder": shoulder,
            "elbow": elbow, "wrist": wrist, "pinky": wrist + 0.08 * hang, "index": wrist + 0.09 * hang,
            "thumb": wrist + 0.06 * hang + np.array([0.02, 0.0]), "hip": hip, "knee": p["knee"],
            "ankle": ankle, "heel": heel, "foot_index": toe,
        }
        if self.plan.noise:
            return self._measured_noise(m, rng, speeds)
        xy = np.zeros((NUM_LANDMARKS, 2))
        vis = np.zeros(NUM_LANDMARKS)
        xy[INDEX["nose"]] = m["nose"]
        vis[INDEX["nose"]] = NEAR_VIS
        for part, where in m.items():
            if part == "nose":
                continue
            for side, offset, v in ((near, 0.0, NEAR_VIS), (far, -0.015, FAR_VIS)):
                name = f"mouth_{side}" if part == "mouth" else f"{side}_{part}"
                xy[INDEX[name]] = where + np.array([offset, 0.0])
                vis[INDEX[name]] = v
        px = self._px(xy) + rng.normal(0.0, self.plan.noise_px, (NUM_LANDMARKS, 2))
        return Pose(px, vis, size=self.frame_size)

    def _measured_noise(self, m: dict[str, np.ndarray], rng: np.random.Generator,
                        speeds: dict[str, float]) -> Pose:
        """The landmarks as a real pose model reports them (``station.sim.noise``): the far side
        where the real one lies, jitter by joint and speed, visibility, now and then the sides'
        labels swapped for a frame."""
        profile = PROFILES[self.plan.noise]
        torso = self.body.torso
        near = self.plan.facing
        far = Side.RIGHT if near == Side.LEFT else Side.LEFT
        xy = np.zeros((NUM_LANDMARKS, 2))
        vis = np.zeros(NUM_LANDMARKS)
        sigma = np.zeros(NUM_LANDMARKS)
        for part, where in m.items():
            joint = STANDS_FOR[part]
            sides = ((near, 0.0, True),) if part == "nose" else (
                (near, 0.0, True), (far, profile.side_apart * torso, False))
            for side, ahead, is_near in sides:
                name = "nose" if part == "nose" else f"mouth_{side}" if part == "mouth" else f"{side}_{part}"
                i = INDEX[name]
                xy[i] = where + np.array([ahead, 0.0])
                vis[i] = profile.seen(part, is_near, rng)
                sigma[i] = profile.sigma(joint, speeds.get(joint, 0.0)) * torso
        xy += rng.standard_normal((NUM_LANDMARKS, 2)) * sigma[:, None]
        if rng.random() < profile.swap_share / 2:  # a swap shows in the frame pair into it and out
            left = [i for n, i in INDEX.items() if n.startswith("left_")]
            right = [INDEX["right_" + n[5:]] for n, i in INDEX.items() if n.startswith("left_")]
            xy[left + right] = xy[right + left]
            vis[left + right] = vis[right + left]
        return Pose(self._px(xy), vis, size=self.frame_size)


def _rotate(p: np.ndarray, about: np.ndarray, deg: float) -> np.ndarray:
    """Rotate a point about another (x forward, y up; negative = forward and down)."""
    a = math.radians(deg)
    v = p - about
    c, s = math.cos(a), math.sin(a)
    return about + np.array([v[0] * c - v[1] * s, v[0] * s + v[1] * c])
