"""A member's body: segment lengths from height.

Segment fractions of stature are Drillis and Contini's (1966) anthropometric ratios, as tabled
in Winter, *Biomechanics and Motor Control of Human Movement*: knee height 0.285 H, hip 0.530 H,
shoulder 0.818 H, thigh 0.245, shank 0.246, upper arm 0.186, forearm 0.146, foot 0.152.

    >>> Body(height=1.80).torso
    0.5184
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Body:
    height: float = 1.75  # m
    shape: float = 1.0  # torso and legs scaled against each other by a few per cent
    head_forward: float = 20.0  # deg: the ear ahead of the hip->shoulder line, standing
    back_depth: float = 0.10  # m: the back's surface behind the ear, shoulder and hip centres

    @property
    def shank(self) -> float:
        return 0.246 * self.height / self.shape**0.5

    @property
    def thigh(self) -> float:
        return 0.245 * self.height / self.shape**0.5

    @property
    def torso(self) -> float:
        """Hip to shoulder, m."""
        return round(0.288 * self.height * self.shape, 4)

    @property
    def neck(self) -> float:
        """Shoulder to ear, m."""
        return 0.118 * self.height

    @property
    def upper_arm(self) -> float:
        return 0.186 * self.height

    @property
    def forearm(self) -> float:
        return 0.146 * self.height

    @property
    def foot(self) -> float:
        return 0.152 * self.height

    @property
    def ankle_height(self) -> float:
        return 0.039 * self.height

    @classmethod
    def random(cls, rng: random.Random) -> Body:
        """An adult between 1.50 and 2.00 m with its own proportions and head carriage."""
        return cls(height=round(rng.uniform(1.50, 2.00), 3), shape=round(rng.uniform(0.96, 1.04), 3),
                   head_forward=round(rng.uniform(12.0, 28.0), 1),
                   back_depth=round(rng.uniform(0.08, 0.12), 3))
