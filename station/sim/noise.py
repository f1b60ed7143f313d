"""Keypoint noise as measured on real tracks: jitter by joint and speed, swaps, visibility, drops.

Every number here was measured by :func:`station.sim.realism.track_noise` on the pose stream named
in its profile's ``source`` (``tests/data/real/``, converted from the MIT-licensed
``idvorkin/swing-analyzer`` tracks at commit 20b7c71; see that folder's README), rounded to 4
places. ``tests/sim/test_sim.py`` measures the streams again and fails when a number here no longer
matches, and measures a simulated set of each profile against its source.

    >>> PROFILES["mediapipe"].sigma("hip", 0.1), PROFILES["mediapipe"].sigma("hip", 5.0)
    (0.0019, 0.0075)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from station.sim.realism import BANDS

NAN = math.nan
# Which measured joint stands for each landmark's noise and visibility: the face moves with the
# ear, the arm with the shoulder, the foot with the ankle.
STANDS_FOR = {"nose": "ear", "eye_inner": "ear", "eye": "ear", "eye_outer": "ear", "mouth": "ear",
              "ear": "ear", "shoulder": "shoulder", "elbow": "shoulder", "wrist": "shoulder",
              "pinky": "shoulder", "index": "shoulder", "thumb": "shoulder", "hip": "hip",
              "knee": "knee", "ankle": "ankle", "heel": "ankle", "foot_index": "ankle"}
# MoveNet's 17 COCO keypoints lack these: they read back with visibility 0.
NOT_IN_COCO17 = frozenset({"eye_inner", "eye_outer", "mouth", "pinky", "index", "thumb", "heel",
                           "foot_index"})


@dataclass(frozen=True)
class NoiseProfile:
    """One real track's noise. Jitter in torso lengths per axis, by speed band (``BANDS``, torso
    lengths per second; nan where the track had too few frames at that speed); visibility per joint
    as (near median, near 5th percentile, far median); ``swap_share`` of frame pairs where the
    sides' labels crossed; ``side_apart`` the median distance between the two sides' joints (torso
    lengths); ``drop_share`` of frames without a pose."""

    source: str
    model: str
    jitter: dict[str, tuple[float, float, float, float]]
    visibility: dict[str, tuple[float, float, float]]
    swap_share: float
    side_apart: float
    drop_share: float
    coco17: bool = False

    def sigma(self, joint: str, speed: float) -> float:
        """The jitter of ``joint`` moving at ``speed`` torso lengths per second; a band the track
        never reached takes the nearest band it did (the slower one first)."""
        bands = self.jitter[joint]
        b = bisect_right(BANDS, speed)
        for k in sorted(range(len(bands)), key=lambda k: (abs(k - b), k > b)):
            if not math.isnan(bands[k]):
                return bands[k]
        return 0.0


    def seen(self, part: str, near: bool, rng: np.random.Generator) -> float:
        """A visibility for ``part`` on the near or far side: the measured median, spread like the
        measured near side (its median to 5th percentile is 1.645 standard deviations)."""
        if self.coco17 and part in NOT_IN_COCO17:
            return 0.0
        median, low, far = self.visibility[STANDS_FOR[part]]
        spread = (median - low) / 1.645
        centre = median if near else far
        return centre if spread <= 0 else float(np.clip(centre + spread * rng.standard_normal(), 0.0, 1.0))


PROFILES: dict[str, NoiseProfile] = {
    # BlazePose full on MediaPipe 0.10.18: the station's own model family.
    "mediapipe": NoiseProfile(
        source="kb_swing_1h_igor.jsonl", model="BlazePose full, MediaPipe 0.10.18",
        jitter={"ear": (0.0028, 0.0047, 0.0110, 0.0110), "shoulder": (0.0025, 0.0049, 0.0092, 0.0099),
                "hip": (0.0019, 0.0038, 0.0075, NAN), "knee": (0.0019, 0.0063, 0.0115, NAN),
                "ankle": (0.0019, 0.0061, NAN, NAN)},
        visibility={"ear": (1.00, 1.00, 1.00), "shoulder": (1.00, 1.00, 1.00), "hip": (1.00, 1.00, 1.00),
                    "knee": (0.99, 0.98, 0.52), "ankle": (0.99, 0.98, 0.64)},
        swap_share=0.0, side_apart=0.174, drop_share=0.0),
    # The same video through BlazePose on TF.js: the noisiest BlazePose runtime in the corpus.
    "tfjs": NoiseProfile(
        source="kb_swing_1h_igor_tfjs.jsonl", model="BlazePose, TF.js",
        jitter={"ear": (0.0099, 0.0123, 0.0339, 0.0793), "shoulder": (0.0085, 0.0108, 0.0353, 0.0715),
                "hip": (0.0079, 0.0180, 0.0349, NAN), "knee": (0.0144, 0.0243, 0.0424, NAN),
                "ankle": (0.0229, 0.0311, 0.0452, NAN)},
        visibility={"ear": (1.00, 1.00, 1.00), "shoulder": (1.00, 1.00, 1.00), "hip": (1.00, 1.00, 1.00),
                    "knee": (0.96, 0.91, 0.47), "ankle": (0.97, 0.93, 0.67)},
        swap_share=0.0068, side_apart=0.193, drop_share=0.0),
    # MoveNet lightning, COCO-17: low and even visibility on both sides, no feet or eye corners.
    "movenet": NoiseProfile(
        source="kb_swing_movenet.jsonl", model="MoveNet lightning (COCO-17)",
        jitter={"ear": (0.0060, 0.0132, 0.0364, 0.0822), "shoulder": (0.0102, 0.0125, 0.0404, 0.0756),
                "hip": (0.0059, 0.0102, 0.0303, NAN), "knee": (0.0076, 0.0130, 0.0401, NAN),
                "ankle": (0.0105, 0.0114, NAN, NAN)},
        visibility={"ear": (0.72, 0.53, 0.68), "shoulder": (0.76, 0.59, 0.71), "hip": (0.83, 0.68, 0.79),
                    "knee": (0.79, 0.64, 0.72), "ankle": (0.69, 0.40, 0.75)},
        swap_share=0.0, side_apart=0.046, drop_share=0.0, coco17=True),
    # BlazePose full on MediaPipe, a squat: the lower body's jitter when the knees bend deep.
    "pistol": NoiseProfile(
        source="pistol_squat.jsonl", model="BlazePose full, MediaPipe 0.10.18",
        jitter={"ear": (0.0057, 0.0061, 0.0068, NAN), "shoulder": (0.0078, 0.0097, 0.0131, NAN),
                "hip": (0.0074, 0.0079, 0.0080, NAN), "knee": (0.0112, 0.0140, NAN, NAN),
                "ankle": (0.0098, 0.0211, 0.0564, NAN)},
        visibility={"ear": (1.00, 1.00, 1.00), "shoulder": (1.00, 1.00, 1.00), "hip": (1.00, 1.00, 1.00),
                    "knee": (0.99, 0.96, 0.73), "ankle": (0.99, 0.97, 0.82)},
        swap_share=0.0088, side_apart=0.211, drop_share=0.0),
}
