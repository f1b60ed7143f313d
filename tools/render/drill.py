"""The dowel drill as joint angles over time, the pose each moment, and its ground truth.

Everything here is numpy (no Blender): :class:`Drill` poses a :class:`~tools.render.body.Body` at
the wall for a :class:`Plan` and says, per frame, the joint angles, the three dowel contacts (head,
upper back, sacrum), the wall contact, and, per rep, its faults.

    drill = Drill(body, Plan(reps=(Rep(),) * 3), seed=1)
    for t, frame in drill.frames(fps=15):
        frame.verts, frame.dowel, frame.truth

Angles (degrees) are sagittal: ``shin`` tips the shank forward (knee ahead of the ankle), ``knee``
and ``hip`` are flexion, ``dowel_tilt`` swings the dowel's lower end back off the sacrum (pivoting
on the upper back: the coach's "the dowel tilted"), ``thoracic`` flexes spine03-spine01 (a rounded
upper back), ``neck`` flexes neck01-03.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from tools.render.body import Body, rot_x, rotation_between

# The rest posture fix (see :func:`neutral_fix`): MakeHuman's rest pose stands with a forward head
# and a rounded upper back; these extend them until head, upper back and sacrum meet one line.
THORACIC_BONES = ("spine03", "spine02", "spine01")
LUMBAR_BONES = ("spine05", "spine04")
NECK_BONES = ("neck01", "neck02", "neck03")
DOWEL_RADIUS = 0.014  # m: a 28 mm hardwood dowel, the drill's usual
DOWEL_LENGTH = 1.22  # m: a 4 ft dowel
CONTACT_M = 0.015  # m: a zone this close to the dowel's line touches it (skin and clothes give)
WALL_CONTACT_M = 0.01  # m: the buttocks this close to the switch pad press it
PRESS_M = 0.005  # m: how far into the pad a touching rep presses


@dataclass(frozen=True)
class Shape:
    """One posture, in degrees (see the module doc)."""

    hip: float = 0.0
    knee: float = 0.0
    shin: float = 0.0
    dowel_tilt: float = 0.0
    thoracic: float = 0.0
    neck: float = 0.0

    def mix(self, other: Shape, u: float) -> Shape:
        return Shape(*(a + u * (b - a) for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple[float, ...]:
        return (self.hip, self.knee, self.shin, self.dowel_tilt, self.thoracic, self.neck)


SHAPE_FIELDS = ("hip", "knee", "shin", "dowel_tilt", "thoracic", "neck")
FAULTS = ("rounded_back", "head_off_dowel", "sacrum_off_dowel", "squat", "knees_too_bent",
          "no_wall_touch", "no_lockout", "too_fast")


@dataclass(frozen=True)
class Rep:
    """One rep: its faults (the coach's codes), how long it takes and the stand after it (s)."""

    faults: frozenset[str] = frozenset()
    duration: float = 3.0
    pause: float = 1.2
    # Thoracic flexion (deg, drawn from this range) without a fault: a mild rounding the coach must
    # pass (a member's back is never quite straight). None: as the faults say.
    thoracic: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {FAULTS}")


@dataclass(frozen=True)
class Plan:
    """A set: its reps, whether the member walks in first, and settles the dowel before rep 1."""

    reps: tuple[Rep, ...]
    walk_in: bool = False
    settle: bool = False
    stand_s: float = 1.0  # s standing still before the first rep


@dataclass
class Frame:
    """One moment: posed vertices, the dowel (two end points), and the truth."""

    verts: np.ndarray
    dowel: tuple[np.ndarray, np.ndarray]
    truth: dict = field(default_factory=dict)


def _smooth(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3 - 2 * u)


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """The flexion at ``b`` (180 minus the angle abc), degrees, in the sagittal (z, y) plane."""
    u, v = a[1:] - b[1:], c[1:] - b[1:]
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    return 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos))))


class Pose:
    """Local bone rotations from a :class:`Shape`, the rest posture fix, the arms holding the dowel."""

    def __init__(self, body: Body, fix: tuple[float, float] = (0.0, 0.0)) -> None:
        self.body = body
        self.fix = fix  # (thoracic, neck) extension, degrees
        self.ankle = (body.head["foot.L"] + body.head["foot.R"]) / 2
        body_idx = np.unique(np.concatenate([np.array(f) for f in body.faces]))
        self.body_idx = body_idx
        v = body.verts
        mid = body_idx[np.abs(v[body_idx, 0]) < 0.035]
        y0 = body.head["root"][1]
        # The back's midline: behind the spine joints' z at that height.
        spine_z = np.interp(v[mid, 1], [y0 - 0.3, y0, body.head["spine03"][1], body.head["neck01"][1],
                                        body.tail["head"][1]],
                            [body.head["root"][2]] * 2 + [body.head["spine03"][2], body.head["neck01"][2],
                                                          body.head["head"][2]])
        # Only skin that rides on the trunk, neck and head: a hand behind the back is not the back.
        trunk = [body.index[b] for b in ("root", "pelvis.L", "pelvis.R", *LUMBAR_BONES, *THORACIC_BONES,
                                         *NECK_BONES, "head")]
        on_trunk = body.weights[mid][:, trunk].sum(axis=1) > 0.9
        back = mid[(v[mid, 2] < spine_z) & (v[mid, 1] > y0 - 0.16) & on_trunk]
        self.back = back
        y = v[back, 1]
        self.zones = {
            "sacrum": back[(y > y0 - 0.16) & (y < y0 + 0.08)],
            "upper_back": back[(y > body.head["spine02"][1]) & (y < body.head["neck01"][1] - 0.03)],
            "head": back[(y > body.head["head"][1] + 0.03)],
        }
        # The seat: skin on the pelvis and thighs near hip height, what presses the wall's pad.
        seat_bones = [body.index[b] for b in ("root", "pelvis.L", "pelvis.R", "spine05", "upperleg01.L",
                                              "upperleg01.R", "upperleg02.L", "upperleg02.R")]
        near = body_idx[(v[body_idx, 1] > y0 - 0.25) & (v[body_idx, 1] < y0 + 0.12)]
        self.seat = near[body.weights[near][:, seat_bones].sum(axis=1) > 0.9]
        self.upper = {"R": "neck01", "L": "spine04"}  # which hand grips where: right up, left low

    def local(self, s: Shape, legs: tuple[float, float] = (0.0, 0.0)) -> dict[str, np.ndarray]:
        """Local rotations for shape ``s``; ``legs`` adds a stride (thigh swing, degrees, L and R)."""
        fix_t, fix_n = self.fix
        thigh = s.shin - s.knee
        pelvis = thigh + s.hip
        loc: dict[str, np.ndarray] = {"root": rot_x(pelvis)}
        for b in THORACIC_BONES:
            loc[b] = rot_x((s.thoracic - fix_t) / len(THORACIC_BONES))
        for b in NECK_BONES:
            loc[b] = rot_x((s.neck - fix_n) / len(NECK_BONES))
        loc["head"] = rot_x(fix_t + fix_n)  # the rest gaze kept level after the fix
        for side, swing in zip("LR", legs, strict=True):
            th = thigh + swing
            sh = s.shin + max(0.0, -swing) * 0.6  # the leg behind bends its knee a little
            loc[f"upperleg01.{side}"] = rot_x(th - pelvis)
            loc[f"lowerleg01.{side}"] = rot_x(sh - th)
            loc[f"foot.{side}"] = rot_x(-sh)
        return loc

    def dowel(self, loc: dict[str, np.ndarray], verts: np.ndarray,
              tilt: float = 0.0) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """The dowel's axis (a point on it, its direction) and each zone's gap to it (m).

        The dowel lies along the thorax (the mean of spine03's and spine01's directions) on the
        back's outermost points; its gap to a zone is how far that zone stands off its line."""
        rot, _ = self.body.world(loc)
        up = rot["spine03"] @ [0, 1.0, 0] + rot["spine01"] @ [0, 1.0, 0]
        d = np.array([0.0, up[1], up[2]])
        d /= np.linalg.norm(d)
        n = np.array([0.0, -d[2], d[1]])  # square to the dowel, on the back's side
        back_dir = rot["spine03"] @ [0, 0, -1.0] + rot["spine01"] @ [0, 0, -1.0]
        if np.dot(n, back_dir) < 0:
            n = -n
        if tilt:  # the lower end swings back: the line rests on the upper back and head alone
            d = rot_x(tilt) @ d
            n = rot_x(tilt) @ n
            offset = float(max((verts[self.zones[z]] @ n).max() for z in ("upper_back", "head")))
        else:
            offset = float((verts[self.back] @ n).max())
        gaps = {zone: offset - float((verts[idx] @ n).max()) for zone, idx in self.zones.items()}
        # A point on the axis, level with the upper back's outermost point.
        ub = verts[self.zones["upper_back"]]
        p = ub[int(np.argmax(ub @ n))]
        p = p - (p @ n) * n + (offset + DOWEL_RADIUS) * n
        p[0] = 0.0
        return p, d, gaps

    def arms(self, loc: dict[str, np.ndarray], point: np.ndarray, d: np.ndarray) -> None:
        """Bend the arms (two-bone IK, in place in ``loc``) so both hands hold the dowel."""
        body = self.body
        rot, trans = body.world(loc)
        for side, level in self.upper.items():
            sign = -1.0 if side == "R" else 1.0  # x of the body's right is negative
            grip_y = (rot[level] @ body.head[level] + trans[level])
            lam = float(np.dot(grip_y - point, d))
            target = point + lam * d + np.array([sign * 0.055, 0, 0])
            sh, up, low, wr = (f"{b}.{side}" for b in ("shoulder01", "upperarm01", "lowerarm01", "wrist"))
            shoulder = rot[sh] @ body.head[up] + trans[sh]
            l1 = float(np.linalg.norm(body.head[low] - body.head[up]))
            l2 = float(np.linalg.norm(body.head[wr] - body.head[low]))
            to = target - shoulder
            dist = float(np.linalg.norm(to))
            dist_c = min(max(dist, abs(l1 - l2) + 1e-3), l1 + l2 - 1e-3)
            axis = to / dist
            trunk_up = rot["spine01"] @ [0, 1.0, 0]
            trunk_back = rot["spine01"] @ [0, 0, -1.0]
            if side == "R":  # the upper hand: elbow up and out beside the head
                pole = 0.8 * trunk_up + sign * 0.6 * np.array([1.0, 0, 0])
            else:  # the lower hand: elbow out and back
                pole = 0.6 * trunk_back + sign * 0.8 * np.array([1.0, 0, 0])
            pole = pole - np.dot(pole, axis) * axis
            pole /= np.linalg.norm(pole)
            a = (l1 * l1 - l2 * l2 + dist_c * dist_c) / (2 * dist_c)
            h = math.sqrt(max(l1 * l1 - a * a, 0.0))
            elbow = shoulder + a * axis + h * pole
            wrist = shoulder + dist_c * axis
            w1 = rotation_between(body.head[low] - body.head[up], elbow - shoulder)
            w2 = rotation_between(body.head[wr] - body.head[low], wrist - elbow)
            loc[up] = rot[sh].T @ w1
            loc[low] = w1.T @ w2

    def pose(self, s: Shape, legs: tuple[float, float] = (0.0, 0.0),
             shift: float = 0.0) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Local rotations and the offset that keeps the feet planted (``shift`` m forward)."""
        loc = self.local(s, legs)
        rot, trans = self.body.world(loc)
        ankle = np.mean([rot[f"lowerleg02.{k}"] @ self.body.head[f"foot.{k}"] + trans[f"lowerleg02.{k}"]
                         for k in "LR"], axis=0)
        offset = self.ankle - ankle + np.array([0, 0, shift])
        return loc, offset

    def frame(self, s: Shape, legs: tuple[float, float] = (0.0, 0.0), shift: float = 0.0) -> Frame:
        """The posed body holding the dowel, with its contacts and angles as truth."""
        loc, offset = self.pose(s, legs, shift)
        # The arms do not move the back: the dowel's first placing needs the back's skin alone.
        verts = self.body.skin(loc, offset, self.back)
        point, d, _ = self.dowel(loc, verts, s.dowel_tilt)
        self.arms(loc, point - offset, d)
        verts = self.body.skin(loc, offset)
        point, d, gaps = self.dowel(loc, verts, s.dowel_tilt)
        lam = np.array([-0.55, DOWEL_LENGTH - 0.55])
        ends = (point + lam[0] * d, point + lam[1] * d)
        rot, trans = self.body.world(loc)

        def at(bone: str) -> np.ndarray:
            return np.mean([rot[bone + k] @ self.body.head[bone + k] + trans[bone + k] for k in (".L", ".R")],
                           axis=0) + offset

        shoulder, hip, knee, ankle = at("upperarm01"), at("upperleg01"), at("lowerleg01"), at("foot")
        truth = {
            "hip_flexion": round(_angle(shoulder, hip, knee), 2),
            "knee_flexion": round(_angle(hip, knee, ankle), 2),
            "shape": {k: round(v, 2) for k, v in zip(SHAPE_FIELDS, s.values(), strict=True)},
            "contacts": {k: bool(g < CONTACT_M) for k, g in gaps.items()},
            "gaps_m": {k: round(g, 4) for k, g in gaps.items()},
            "rear_z": round(float(verts[self.seat, 2].min()), 4),
        }
        return Frame(verts, ends, truth)

    def rear(self, s: Shape) -> float:
        """The body's rearmost z (m) in shape ``s`` (arms at rest: they are in front of the wall)."""
        loc, offset = self.pose(s)
        rot, trans = self.body.world(loc)
        idx = self.seat
        v = np.zeros((len(idx), 3))
        w = self.body.weights[idx]
        for i in self.body.used:
            b = self.body.bones[i]
            v += w[:, i, None] * (self.body.verts[idx] @ rot[b].T + trans[b])
        return float((v + offset)[:, 2].min())


def neutral_fix(body: Body) -> tuple[float, float]:
    """The thoracic and neck extension (degrees) that make MakeHuman's rest posture neutral.

    Neutral, for the drill, is the dowel touching the back of the head, the upper back and the
    sacrum at once (the coach's own definition): the search takes the smallest extensions that
    bring all three zones within :data:`CONTACT_M` of the dowel's line, the upper back's gap
    weighed with the head's."""
    best = (math.inf, (0.0, 0.0))
    for t in np.arange(0.0, 24.1, 3.0):
        for n in np.arange(0.0, 30.1, 3.0):
            pose = Pose(body, (float(t), float(n)))
            loc, offset = pose.pose(Shape())
            verts = body.skin(loc, offset)
            _, _, gaps = pose.dowel(loc, verts)
            cost = max(gaps.values()) + 0.002 * (t + n) / 10
            if cost < best[0]:
                best = (cost, (float(t), float(n)))
    return best[1]


def stand(rng: random.Random) -> Shape:
    return Shape(hip=rng.uniform(-2, 2), knee=rng.uniform(0, 4), shin=rng.uniform(0, 2))


def hinge(pose: Pose, trunk: float, shin: float, target: float) -> Shape:
    """The hinge with this trunk tilt and shin (deg) whose buttocks reach ``target`` (rear z, m):
    the thigh tips back (hips behind the knees) until they do, as in a Romanian deadlift."""
    lo, hi = -45.0, 5.0  # thigh tilt, deg; the rear goes back as the thigh tips back (falls)
    for _ in range(16):
        mid = (lo + hi) / 2
        if pose.rear(Shape(hip=trunk - mid, knee=shin - mid, shin=shin)) > target:
            hi = mid
        else:
            lo = mid
    return Shape(hip=trunk - lo, knee=shin - lo, shin=shin)


# The hinge that sets the pad: trunk tipped 68 deg, shin 2, thigh back 16 (Romanian-deadlift-like:
# 15-30 deg of knee at 70-90 deg of hip, coach/thresholds.py).
GOOD = Shape(hip=84.0, knee=18.0, shin=2.0)


def bottom(pose: Pose, rep: Rep, wall_z: float, rng: random.Random) -> Shape:
    """The bottom of ``rep``: a hinge until the buttocks press the pad, or the fault's shape."""
    f = rep.faults
    if "squat" in f:  # hips down, knees as bent as the hips (SQUAT_KNEE_PER_HIP 0.7 and beyond)
        return Shape(hip=rng.uniform(95, 105), knee=rng.uniform(85, 95), shin=rng.uniform(38, 42))
    trunk, shin = rng.uniform(63, 73), rng.uniform(0, 4)
    if "knees_too_bent" in f:  # shins forward, knees 35-50 deg: beyond soft, short of a squat
        trunk, shin = rng.uniform(55, 62), rng.uniform(16, 20)
    target = wall_z - PRESS_M
    if "no_wall_touch" in f:  # stops 8-12 cm short of the pad
        target = wall_z + rng.uniform(0.08, 0.12)
        trunk = rng.uniform(45, 55)
    s = hinge(pose, trunk, shin, target)
    if "rounded_back" in f:  # 34-40 deg of thoracic flexion (issue 28's kept-back set: 36-38)
        s = replace(s, thoracic=rng.uniform(34, 40))
    if "head_off_dowel" in f:  # the neck flexed 28-34 deg (the kept-back set: about 30)
        s = replace(s, neck=rng.uniform(28, 34))
    if "sacrum_off_dowel" in f:  # the dowel's lower end 5-7 deg back off the sacrum
        s = replace(s, dowel_tilt=rng.uniform(5, 7))
    if rep.thoracic is not None:  # drawn last: the clips without it keep their random draws
        s = replace(s, thoracic=rng.uniform(*rep.thoracic))
    return s


class Drill:
    """A set at the wall for one body and plan, reproducible from ``seed``."""

    def __init__(self, body: Body, plan: Plan, seed: int, fix: tuple[float, float] | None = None) -> None:
        self.plan = plan
        rng = random.Random(seed)
        self.pose = Pose(body, fix if fix is not None else neutral_fix(body))
        # The pad where a good hinge (hip 80, knee 16, shin 6) puts the buttocks.
        self.wall_z = self.pose.rear(GOOD)
        self.stand = stand(rng)
        self.bottoms = [bottom(self.pose, r, self.wall_z, rng) for r in plan.reps]
        self.segments: list[tuple[float, float, Shape, Shape, int, str]] = []  # t0, t1, from, to, rep, kind
        self.reps: list[dict] = []
        self._timeline(rng)

    def _timeline(self, rng: random.Random) -> None:
        t = 0.0
        s0 = self.stand
        if self.plan.walk_in:
            self.segments.append((t, t + 3.0, s0, s0, 0, "walk"))
            t += 3.0
        if self.plan.settle:  # a stoop to settle the dowel and back: no rep
            stoop = replace(s0, hip=rng.uniform(22, 28), knee=6.0)
            self.segments += [(t, t + 1.0, s0, stoop, 0, "settle"),
                              (t + 1.0, t + 2.2, stoop, s0, 0, "settle")]
            t += 2.2
        self.segments.append((t, t + self.plan.stand_s, s0, s0, 0, "stand"))
        t += self.plan.stand_s
        cur = s0
        for i, (rep, low) in enumerate(zip(self.plan.reps, self.bottoms, strict=True), start=1):
            d = rng.uniform(0.7, 0.9) if "too_fast" in rep.faults else rep.duration * rng.uniform(0.9, 1.1)
            down, hold = 0.4 * d, 0.15 * d
            top = low.mix(s0, 0.55) if "no_lockout" in rep.faults else s0  # 45-ish deg short of tall
            self.segments += [(t, t + down, cur, low, i, "down"),
                              (t + down, t + down + hold, low, low, i, "hold"),
                              (t + down + hold, t + d, low, top, i, "up")]
            self.reps.append({"rep": i, "start": round(t, 3), "deepest": round(t + down + hold / 2, 3),
                              "end": round(t + d, 3), "faults": sorted(rep.faults)})
            t += d
            self.segments.append((t, t + rep.pause, top, top, 0, "stand"))
            t += rep.pause
            cur = top
        if cur != s0:
            self.segments.append((t, t + 1.0, cur, s0, 0, "stand"))
            t += 1.0
        self.segments.append((t, t + 1.0, s0, s0, 0, "stand"))
        self.duration = t + 1.0

    def at(self, t: float) -> Frame:
        for t0, t1, a, b, rep, kind in self.segments:
            if t < t1 or (t0, t1) == self.segments[-1][:2]:
                u = _smooth((t - t0) / (t1 - t0))
                legs, shift = (0.0, 0.0), 0.0
                if kind == "walk":  # stepping back into place from 1.2 m in front
                    shift = 1.2 * (1 - u)
                    swing = 18.0 * math.sin(2 * math.pi * 1.6 * (t - t0)) * (1 - u ** 4)
                    legs = (swing, -swing)
                frame = self.pose.frame(a.mix(b, u), legs, shift)
                frame.truth.update(t=round(t, 4), rep=rep, phase=kind)
                frame.truth["wall_contact"] = bool(frame.truth["rear_z"] <= self.wall_z + WALL_CONTACT_M)
                return frame
        raise ValueError(t)

    def frames(self, fps: float) -> Iterator[tuple[float, Frame]]:
        for i in range(int(self.duration * fps)):
            t = i / fps
            yield t, self.at(t)
