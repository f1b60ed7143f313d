"""The 33 BlazePose landmarks and the :class:`Pose` value.

Names are MediaPipe's ``PoseLandmark`` names in snake_case, in model order.

    >>> import numpy as np
    >>> pose = Pose(np.zeros((33, 2)), np.ones(33), size=(640, 480))
    >>> pose["left_hip"].visibility
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
NUM_LANDMARKS = len(LANDMARK_NAMES)

# COCO's 17 keypoints as BlazePose indices (blazepose.md).
COCO_TO_BLAZEPOSE: tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


class Landmark(NamedTuple):
    """One landmark in frame pixels; ``z`` is depth at the scale of x (smaller is nearer)."""

    x: float
    y: float
    z: float
    visibility: float


@dataclass(frozen=True, eq=False)
class Pose:
    """One person's pose in one frame.

    ``xy`` is (33, 2) in frame pixels, ``visibility`` (33,) in [0, 1]; ``z`` (33,) and
    ``world`` (33, 3, metres, origin between the hips) may be absent (a simulated or
    recorded pose has none). ``score`` is the model's presence score for the whole pose.
    """

    xy: np.ndarray
    visibility: np.ndarray
    size: tuple[int, int] = (0, 0)
    z: np.ndarray | None = None
    world: np.ndarray | None = None
    score: float = 1.0
    presence: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.xy.shape != (NUM_LANDMARKS, 2) or self.visibility.shape != (NUM_LANDMARKS,):
            raise ValueError(
                f"a Pose needs xy (33, 2) and visibility (33,), got {self.xy.shape} "
                f"and {self.visibility.shape}"
            )

    def __getitem__(self, name: str) -> Landmark:
        i = INDEX[name]
        z = float(self.z[i]) if self.z is not None else 0.0
        return Landmark(float(self.xy[i, 0]), float(self.xy[i, 1]), z, float(self.visibility[i]))

    def point(self, name: str) -> np.ndarray:
        """The (x, y) of a landmark as a small array, for geometry."""
        return self.xy[INDEX[name]]

    def to_dict(self, ndigits: int = 1) -> dict[str, list[float]]:
        """``{name: [x, y, visibility]}`` as in the JSON of ``station analyze`` and pose streams."""
        xy = np.round(self.xy, ndigits).tolist()
        vis = np.round(self.visibility, 3).tolist()
        return {n: [p[0], p[1], v] for n, p, v in zip(LANDMARK_NAMES, xy, vis, strict=True)}

    @classmethod
    def from_dict(cls, landmarks: dict[str, list[float]], size: tuple[int, int] = (0, 0)) -> Pose:
        """The inverse of :meth:`to_dict`; a missing landmark gets visibility 0."""
        xy = np.zeros((NUM_LANDMARKS, 2))
        vis = np.zeros(NUM_LANDMARKS)
        for name, value in landmarks.items():
            if name not in INDEX:
                raise ValueError(f"unknown landmark {name!r}")
            if not isinstance(value, list | tuple) or len(value) not in (2, 3):
                raise ValueError(f"landmark {name!r} must be [x, y] or [x, y, visibility]")
            i = INDEX[name]
            xy[i] = float(value[0]), float(value[1])
            vis[i] = float(value[2]) if len(value) == 3 else 1.0
        if not np.all(np.isfinite(xy)) or not np.all(np.isfinite(vis)):
            raise ValueError("landmarks must be finite numbers")
        return cls(xy, vis, size=size)
