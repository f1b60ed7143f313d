"""Calibration: settings suggested from what the camera sees, for staff to accept.

Steps: ``side`` (which body side faces the camera), ``wall`` (the member stands ready, then
touches the wall: the hips' travel becomes the wall distance), ``dowel`` (the member holds the
dowel up in front of the camera: its colour becomes the colour band).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from station.coach.posture import near_side, torso_length, view_of
from station.coach.signals import Baseline, measure, relative
from station.coach.vocabulary import View
from station.pose.landmarks import Pose
from station.settings import Settings

STEPS = ("side", "wall", "dowel", "done")
# The wall is where the hips stop; the threshold sits a little short of it so every touch counts.
WALL_SHARE = 0.85


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
        travel = relative(measure(pose, base.side, base.facing, None), base).hip_travel
        if travel < 0.1:
            return {"step": step, "error": "the hips have not moved back: push them back to the wall"}
        value = round(min(max(WALL_SHARE * travel, 0.1), 1.5), 2)
        return {"step": step, "suggest": {"wall_travel": value}, "measured_travel": round(travel, 3)}
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
