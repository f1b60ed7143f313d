"""Plane geometry the coach and the dowel finder share: lines, angles, signed distances.

Image coordinates: x to the right, y down, in pixels.

    >>> line = Line((0.0, 0.0), (0.0, 10.0))
    >>> round(line.distance((3.0, 5.0)), 6)
    3.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float] | np.ndarray


@dataclass(frozen=True)
class Line:
    """An infinite line through two points (the dowel, or a body segment)."""

    p0: tuple[float, float]
    p1: tuple[float, float]

    def direction(self) -> np.ndarray:
        d = np.subtract(self.p1, self.p0).astype(float)
        n = float(np.hypot(*d))
        if n == 0:
            raise ValueError("a line needs two distinct points")
        return d / n

    def signed_distance(self, p: Point) -> float:
        """Distance of p from the line; positive on the left of p0 -> p1 (image coordinates)."""
        d = self.direction()
        v = np.subtract(p, self.p0)
        return float(d[0] * v[1] - d[1] * v[0])

    def distance(self, p: Point) -> float:
        return abs(self.signed_distance(p))

    def as_list(self) -> list[list[float]]:
        return [[float(self.p0[0]), float(self.p0[1])], [float(self.p1[0]), float(self.p1[1])]]

    @classmethod
    def from_list(cls, value: list[list[float]]) -> Line:
        (x0, y0), (x1, y1) = value
        return cls((float(x0), float(y0)), (float(x1), float(y1)))


def angle_between(u: Point, v: Point) -> float:
    """Unsigned angle between two vectors, degrees (0 when either has no length).

    Plain ``math`` on two floats each: the coach calls this every frame, where numpy's per-call
    cost would dominate.

        >>> angle_between((1.0, 0.0), (0.0, 2.0))
        90.0
    """
    ux, uy, vx, vy = u[0], u[1], v[0], v[1]
    nu, nv = math.hypot(ux, uy), math.hypot(vx, vy)
    if nu == 0 or nv == 0:
        return 0.0
    cos = (ux * vx + uy * vy) / (nu * nv)
    if cos != cos:  # a NaN coordinate: no angle, rather than a made-up one
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def inclination_from_vertical(lower: Point, upper: Point) -> float:
    """Angle of the segment lower -> upper from straight up, degrees (0 = upright)."""
    return angle_between((float(upper[0]) - float(lower[0]), float(upper[1]) - float(lower[1])),
                         (0.0, -1.0))
