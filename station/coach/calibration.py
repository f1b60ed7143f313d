"""Calibration: settings suggested from what the camera sees, for staff to accept.

Steps: ``side`` (which body side faces the camera), ``wall`` (the member stands ready, then
pushes the hips back to the wall and holds: the hips' travel, averaged over the hold, becomes the
wall distance), ``dowel`` (the member holds the dowel up in front of the camera: its colour becomes
the colour band).

The wall is measured over many frames: the loop feeds each frame's hip travel to a
:class:`WallHold` and publishes its :class:`HoldProgress` (frozen) for the staff page to poll.

    >>> hold = WallHold(t0=0.0)
    >>> for i in range(40):
    ...     hold.add(i / 30, 0.30 if i >= 5 else 0.05 * i)
    >>> p = hold.progress()
    >>> p.state, round(p.travel, 2), p.suggest
    ('done', 0.3, {'wall_travel': 0.26})
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from station.coach.posture import near_side, torso_length, view_of
from station.coach.signals import Baseline, measure, relative
from station.coach.vocabulary import View
from station.config.settings import Settings
from station.pose.landmarks import Pose

STEPS = ("side", "wall", "dowel", "done")
# The wall is where the hips stop; the threshold sits a little short of it so every touch counts.
WALL_SHARE = 0.85
# A hold: this long of frames whose hip travel stays within HOLD_SPREAD of each other. One second
# is 30 frames at the camera's default rate, enough for the mean to settle (the sd of a mean of 30
# is a fifth of one frame's); a member can hold still at the wall for that long without strain.
HOLD_S = 1.0
# Torso lengths, max - min over the hold. Real BlazePose tracks jitter 0.6-1.6 % of a torso at the
# hip (docs/figures.md, "keypoint jitter", benchmarks/coach_suite.py): 0.05 lets that and a little sway
# through, and is a quarter of the default wall travel, so hips still moving back do not count.
HOLD_SPREAD = 0.05
# The hips must be at least this far back: the smallest wall_travel the settings allow.
HOLD_MIN_TRAVEL = 0.1
# Frames further apart than this (nobody seen) break a hold: a third of a second at 30 fps is
# ten lost frames, more than the pose engine drops in a row when it tracks.
HOLD_MAX_GAP_S = 0.35
# Staff explain the drill, the member walks in, stands ready and hinges: two minutes is plenty;
# after that the measurement stops, so it is not left running (and the preview on).
HOLD_WAIT_S = 120.0


@dataclass(frozen=True)
class HoldProgress:
    """Where a wall measurement is, as the staff page shows it (published by the loop).

    ``state``: ``starting`` (the loop has not seen the order yet), ``stand`` (no standing
    baseline yet), ``hold`` (waiting for, or in, a hold), ``done`` (``travel`` is the hold's
    mean, ``suggest`` the setting), ``timeout``."""

    state: str
    held_s: float = 0.0
    travel_now: float | None = None
    travel: float | None = None
    spread: float | None = None
    frames: int = 0
    suggest: dict[str, Any] | None = None
    switch_open: bool = False  # the hips are back but the wall switch is open

    def message(self) -> str:
        if self.state == "hold" and self.switch_open:
            return ("The hips are back but the wall switch is open: push them back until the switch "
                    "closes (if it never does, check it on the health page).")
        if self.state == "done":
            return (f"Measured: the hips travel {self.travel or 0:.3f} torso lengths to the wall (the mean "
                    f"of {self.frames} frames over {self.held_s:.1f} s; they spread {self.spread or 0:.3f}). "
                    f"The new value sits {100 - 100 * WALL_SHARE:.0f} % short of it, so every touch counts.")
        return {
            "starting": "Starting the measurement.",
            "stand": "Waiting for the member to stand tall and still, side-on, at the floor line.",
            "hold": f"Waiting for the member to push the hips back to the wall and hold for {HOLD_S:g} s.",
            "timeout": f"No hold at the wall within {HOLD_WAIT_S:g} s; measure again when the member "
                       "is ready.",
        }[self.state]

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "message": self.message(), "held_s": round(self.held_s, 2),
                "need_s": HOLD_S, "travel_now": _round(self.travel_now), "travel": _round(self.travel),
                "spread": _round(self.spread), "frames": self.frames, "suggest": self.suggest}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def wall_suggestion(travel: float) -> dict[str, float]:
    """The wall_travel setting for a measured hold: a little short of it, within the setting's range."""
    return {"wall_travel": round(min(max(WALL_SHARE * travel, 0.1), 1.5), 2)}


class WallHold:
    """Finds the member's hold at the wall in a stream of (time, hip travel) and averages it.

    Pure: times come from the frames. The spread is judged on a 5-frame average of the travel
    (single frames jitter more than a hold sways; docs/figures.md's jitter is of that average too),
    the result is the mean of the raw travels. The newest run of frames whose average stays within
    :data:`HOLD_SPREAD` (and at least :data:`HOLD_MIN_TRAVEL` back) is kept; once it spans
    :data:`HOLD_S` the measurement is done and stays done."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.run: deque[tuple[float, float, float]] = deque()  # time, travel, its 5-frame average
        self.recent: deque[float] = deque(maxlen=5)
        self.result: HoldProgress | None = None
        self.last_t = t0
        self.seen_baseline = False
        self.travel_now: float | None = None
        self.switch_open = False

    def _break(self) -> None:
        self.run.clear()
        self.recent.clear()

    def add(self, t: float, travel: float | None, switch: bool | None = None) -> None:
        """One frame: the hips' travel from standing (None: nobody, or no standing baseline yet)
        and the wall switch (None: none fitted; open: the buttocks are not at the wall)."""
        if self.result is not None:
            return
        gap = bool(self.run) and t - self.run[-1][0] > HOLD_MAX_GAP_S
        self.last_t, self.travel_now = t, travel
        if travel is not None:
            self.seen_baseline = True
            self.switch_open = switch is False and travel >= HOLD_MIN_TRAVEL
        if travel is None or gap or travel < HOLD_MIN_TRAVEL or switch is False:
            if gap or travel is not None:
                self._break()
            return
        self.recent.append(travel)
        self.run.append((t, travel, sum(self.recent) / len(self.recent)))
        while max(a for *_, a in self.run) - min(a for *_, a in self.run) > HOLD_SPREAD:
            self.run.popleft()
        if self.run[-1][0] - self.run[0][0] >= HOLD_S:
            values = [v for _, v, _ in self.run]
            mean = sum(values) / len(values)
            self.result = HoldProgress("done", self.run[-1][0] - self.run[0][0], travel, mean,
                                       max(values) - min(values), len(values), wall_suggestion(mean))

    def progress(self) -> HoldProgress:
        if self.result is not None:
            return self.result
        if self.last_t - self.t0 > HOLD_WAIT_S:
            return HoldProgress("timeout")
        held = self.run[-1][0] - self.run[0][0] if self.run else 0.0
        state = "hold" if self.seen_baseline else "stand"
        return HoldProgress(state, held, self.travel_now, frames=len(self.run), switch_open=self.switch_open)


def average_hold(samples: list[tuple[float, float | None]], switch: list[bool | None] | None = None
                 ) -> HoldProgress:
    """The wall measurement over a whole recording of (time, hip travel) and the wall switch:
    what :class:`WallHold` would show after its last frame."""
    hold = WallHold(samples[0][0] if samples else 0.0)
    for i, (t, travel) in enumerate(samples):
        hold.add(t, travel, switch[i] if switch is not None else None)
    return hold.progress()


def hip_travel(pose: Pose | None, baseline: Baseline | None) -> float | None:
    """The hips' travel towards the wall from the member's standing baseline, in torso lengths."""
    if pose is None or baseline is None:
        return None
    return relative(measure(pose, baseline.side, baseline.facing, None), baseline).hip_travel


def suggest(step: str, baseline: Baseline | None, pose: Pose | None, rgb: np.ndarray | None,
            settings: Settings) -> dict[str, Any]:
    """The settings this step suggests from the last pose and picture, or an ``error`` to show.

    ``baseline`` is the member's standing baseline of the current set (the ``wall`` step needs one).
    """
    if step not in STEPS:
        return {"error": f"unknown calibration step {step!r}; one of {', '.join(STEPS)}"}
    if step == "done":
        return {"step": "done"}
    if pose is None:
        return {"step": step, "error": "nobody in view: step into the camera's view"}
    if step == "side":
        if view_of(pose) != View.SIDE:
            return {"step": step, "error": "the camera sees the member from the front: turn side-on"}
        return {"step": step, "suggest": {"camera_sees": near_side(pose)}}
    if step == "wall":
        base = baseline
        if base is None:
            return {"step": step, "error": "stand ready first (tall, still, side-on), then touch the wall"}
        travel = hip_travel(pose, base) or 0.0
        if travel < HOLD_MIN_TRAVEL:
            return {"step": step, "error": "the hips have not moved back: push them back to the wall"}
        return {"step": step, "suggest": wall_suggestion(travel), "measured_travel": round(travel, 3)}
    if rgb is None:
        return {"step": step, "error": "no camera picture (the simulator has none)"}
    return {"step": step, **_dowel_colour(pose, rgb)}


def _dowel_colour(pose: Pose, rgb: np.ndarray) -> dict[str, Any]:
    """The loudest colour between the hands: the dowel held up across them."""
    import cv2

    h, w = rgb.shape[:2]
    hands = np.array([pose.point("left_wrist"), pose.point("right_wrist")])
    pad = 0.4 * max(torso_length(pose), 20.0)
    x0, y0 = np.clip(hands.min(axis=0) - pad, 0, [w, h]).astype(int)
    x1, y1 = np.clip(hands.max(axis=0) + pad, 0, [w, h]).astype(int)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return {"error": "hold the dowel up in front of you, in both hands"}
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV).reshape(-1, 3)
    loud = hsv[(hsv[:, 1] >= 120) & (hsv[:, 2] >= 100)]
    if len(loud) < 50:
        return {"error": "no strongly coloured dowel between the hands"}
    hist = np.bincount(loud[:, 0], minlength=180)
    peak = int(np.argmax(np.convolve(np.concatenate([hist[-5:], hist, hist[:5]]), np.ones(11), "valid")))
    near = np.abs(((loud[:, 0].astype(int) - peak + 90) % 180) - 90) <= 8
    sat, val = loud[near, 1], loud[near, 2]
    return {"suggest": {
        "dowel_hue_min": (peak - 8) % 180, "dowel_hue_max": (peak + 8) % 180,
        "dowel_sat_min": int(max(80, np.percentile(sat, 5) - 20)),
        "dowel_val_min": int(max(60, np.percentile(val, 5) - 20)),
    }}
