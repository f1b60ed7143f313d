"""Find the dowel in a frame: a straight rod of a loud colour along the member's back.

The search looks near the back (around the near side's ear, shoulder and hip) when a pose is
known, else the whole frame; pixels inside the staff-set HSV colour band are grouped, the
longest thin group is taken, and a line is fitted through it.

    >>> import numpy as np, cv2
    >>> frame = np.zeros((200, 300, 3), np.uint8)
    >>> _ = cv2.line(frame, (50, 20), (60, 180), (255, 100, 0), 5)
    >>> line = find_dowel(frame, None, Settings())
    >>> line.distance((55, 100)) < 1.5, round(line.p0[1]), round(line.p1[1])
    (True, 19, 183)
"""

from __future__ import annotations

import cv2
import numpy as np

from station.coach.geometry import Line
from station.coach.posture import near_side, torso_length
from station.config.settings import Settings
from station.pose.landmarks import Pose

# Search box around ear, shoulder and hip, widened by this many torso lengths.
MARGIN_TORSO = 0.6
# The search runs on at most this many pixels on the long side (the dowel is big; speed matters).
WORK_PX = 320
# A dowel is long and thin: at least this long (torso lengths, or share of the frame without a
# pose) and this many times longer than wide.
MIN_LENGTH_TORSO = 0.5
MIN_LENGTH_FRAME = 0.15
MIN_ELONGATION = 4.0


def colour_mask(hsv: np.ndarray, s: Settings) -> np.ndarray:
    """Pixels in the dowel's colour band; a band whose hue_min > hue_max wraps through red."""
    lo_s, lo_v = s.dowel_sat_min, s.dowel_val_min
    if s.dowel_hue_min <= s.dowel_hue_max:
        return cv2.inRange(hsv, (s.dowel_hue_min, lo_s, lo_v), (s.dowel_hue_max, 255, 255))
    upper = cv2.inRange(hsv, (s.dowel_hue_min, lo_s, lo_v), (179, 255, 255))
    lower = cv2.inRange(hsv, (0, lo_s, lo_v), (s.dowel_hue_max, 255, 255))
    return cv2.bitwise_or(upper, lower)


def _search_box(pose: Pose | None, w: int, h: int) -> tuple[int, int, int, int, float]:
    """x0, y0, x1, y1 of the region to search, and the shortest dowel length in pixels."""
    if pose is None:
        return 0, 0, w, h, MIN_LENGTH_FRAME * float(np.hypot(w, h))
    side = near_side(pose)
    pts = np.array([pose.point(f"{side}_{n}") for n in ("ear", "shoulder", "hip")])
    torso = max(torso_length(pose), 10.0)
    m = MARGIN_TORSO * torso
    x0, y0 = np.floor(pts.min(axis=0) - m).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0) + m).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    return x0, y0, x1, y1, MIN_LENGTH_TORSO * torso


def find_dowel(rgb: np.ndarray, pose: Pose | None, settings: Settings) -> Line | None:
    """The dowel's line in frame pixels (its two ends), or None when no dowel is seen."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1, min_len = _search_box(pose, w, h)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    roi = rgb[y0:y1, x0:x1]
    scale = min(1.0, WORK_PX / max(roi.shape[:2]))
    if scale < 1.0:
        roi = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    mask = colour_mask(cv2.cvtColor(roi, cv2.COLOR_RGB2HSV), settings)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    best, best_len = None, min_len * scale
    for i in range(1, count):
        if stats[i, cv2.CC_STAT_AREA] < 10:
            continue
        bw, bh = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]
        if max(bw, bh) * 1.45 < best_len:  # even its diagonal cannot be long enough
            continue
        ys, xs = np.nonzero(labels == i)
        pts = np.column_stack([xs, ys]).astype(np.float32)
        (_, _), (rw, rh), _ = cv2.minAreaRect(pts)
        length, width = max(rw, rh), max(min(rw, rh), 1.0)
        if length >= best_len and length / width >= MIN_ELONGATION:
            best, best_len = pts, length
    if best is None:
        return None
    vx, vy, cx, cy = cv2.fitLine(best, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    along = (best[:, 0] - cx) * vx + (best[:, 1] - cy) * vy
    lo, hi = float(along.min()), float(along.max())
    ends = [(cx + t * vx, cy + t * vy) for t in (lo, hi)]
    # Top end first, and back to frame pixels (pixel centres through the resize).
    ends.sort(key=lambda p: p[1])
    return Line(*[(float(x0 + (x + 0.5) / scale - 0.5), float(y0 + (y + 0.5) / scale - 0.5))
                  for x, y in ends])

