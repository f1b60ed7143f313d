"""Find the dowel in a frame: a straight rod of a loud colour along the member's back.

The search looks near the back (around the near side's ear, shoulder and hip) when a pose is
known, else the whole frame. Pixels inside the staff-set HSV colour band are grouped into pieces;
the hands and the near arm cut one dowel into a few pieces on one line, so each long thin piece
starts a line that gathers the pieces lying on it across hand-sized gaps. The longest thin line
wins, and a line is fitted through its pixels. Hand-written with OpenCV's components and line fit:
a Hough transform would also join the pieces, but votes for lines through any orange blob.

    >>> import numpy as np, cv2
    >>> frame = np.zeros((200, 300, 3), np.uint8)
    >>> _ = cv2.line(frame, (50, 20), (60, 180), (255, 100, 0), 5)
    >>> _ = cv2.rectangle(frame, (40, 90), (70, 105), (200, 160, 140), -1)  # a hand holding it
    >>> line = find_dowel(frame, None, Settings())
    >>> line.distance((55, 100)) < 1.5, round(line.p0[1]), round(line.p1[1])
    (True, 17, 183)
"""

from __future__ import annotations

import cv2
import numpy as np

from station.coach.geometry import Line
from station.coach.posture import near_side, torso_length
from station.config.settings import Settings
from station.pose.landmarks import Pose

# Search box around ear, shoulder and hip, widened by this many torso lengths: a 1.2-1.5 m dowel
# resting on the sacrum reaches 0.3-0.6 m (up to 1.2 torso lengths) past the back of the head,
# and the longer the piece seen, the better its line.
MARGIN_TORSO = 0.8
# The search runs on at most this many pixels on the long side (the dowel is big; speed matters).
WORK_PX = 320
# A dowel is long and thin: at least this long (torso lengths, or share of the frame without a
# pose) and this many times longer than wide.
MIN_LENGTH_TORSO = 0.5
MIN_LENGTH_FRAME = 0.15
MIN_ELONGATION = 4.0
# The hands wrap the dowel and the near arm crosses it, so one dowel shows as a few pieces on one
# line. Pieces join across a gap up to this long: at the neck the near hand (8-9 cm broad) and
# its upper arm (9-11 cm thick) can cover the dowel one after the other, some 20-25 cm or half of
# a 50 cm hip-to-shoulder torso, when the camera is off profile (the rendered clips 25 deg off).
MAX_GAP_TORSO = 0.5
# A piece that can start a line: this many work pixels long at least (shorter is speckle) and
# this many times longer than wide.
MIN_PIECE_PX = 6
MIN_PIECE_ELONGATION = 2.5
# The longest few pieces are tried as starts (the dowel's own pieces are among the longest).
MAX_STARTS = 6
# Hysteresis on colour, as Canny's on edges: a line starts only at pixels inside the staff's colour
# band, then gathers pixels of the same hue down to this share of its saturation and brightness
# floors (170 and 140 by default: 128 and 105). Video compression halves colour resolution, which
# dilutes a thin dowel: on the rendered clips' MP4s its saturation fell from 240 to 140-210 and its
# shaded side's brightness to 110-135 (benchmarks/dowel_on_renders.py). Lower (0.6) let warm skin
# beside the dowel in on the labelled photos.
WEAK_SHARE = 0.75
# ... and at least this share of a line's pixels must be inside the staff's band itself, so a
# line of washed-out colour (skin, wood) is never a dowel.
MIN_STRONG_SHARE = 0.25
# A dowel on this member's back: it lies within this many torso lengths of the near side's shoulder
# and hip points and within this angle of the hip -> shoulder line. BlazePose puts the shoulder
# 6-8 cm in front of the upper back's surface and the hip joint 10-15 cm in front of the sacrum
# (0.1-0.3 of a 50 cm torso); a fault moves a contact 0.07-0.2 further off. An orange wall, floor
# or rack seen between posts is long and thin too (free-exercise-db's gym photos,
# benchmarks/dowel_false_finds.py), but never along the back.
BACK_REACH_TORSO = 0.6
BACK_TILT_DEG = 30.0
# A dowel is 2.5-3.2 cm thick (1-1.25 in), 0.06 of a torso: a line wider than this is no dowel,
# leaving room for blur and a close camera.
MAX_WIDTH_TORSO = 0.15
# A rod stands out of what lies behind it on at least one side (the body may lie along the other):
# the strip beside the line on its emptier side may hold at most this share of dowel-coloured
# pixels. A line through the middle of an orange shirt, skin or wall has colour on both sides.
MAX_FLANK_SHARE = 0.3
# A joined line must be covered by dowel pixels over at least this share of its length: the
# hands cover two hand breadths of a 1.2-1.5 m dowel, far less than half.
MIN_COVER = 0.5


def colour_mask(hsv: np.ndarray, s: Settings, share: float = 1.0) -> np.ndarray:
    """Pixels in the dowel's colour band (its saturation and brightness floors times ``share``); a
    band whose hue_min > hue_max wraps through red."""
    lo_s, lo_v = round(s.dowel_sat_min * share), round(s.dowel_val_min * share)
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


def _pieces(mask: np.ndarray) -> list[np.ndarray]:
    """Each group of touching pixels of ``mask`` as (n, 2) x, y points, specks skipped."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, count):
        if stats[i, cv2.CC_STAT_AREA] < 3:  # camera noise and compression speckle
            continue
        x, y, w, h = stats[i, :4]
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == i)
        out.append(np.column_stack([xs + x, ys + y]).astype(np.float32))
    return out


def _axis(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Centre, unit direction, length and width of a point cloud along its main axis."""
    centre = pts.mean(axis=0)
    cov = np.cov((pts - centre).T) if len(pts) > 1 else np.eye(2)
    _, vecs = np.linalg.eigh(cov)
    d = vecs[:, 1]
    along = (pts - centre) @ d
    across = (pts - centre) @ np.array([-d[1], d[0]])
    return centre, d, float(np.ptp(along)) + 1.0, float(np.ptp(across)) + 1.0


def _joined(start: np.ndarray, pts: np.ndarray, strong: np.ndarray,
            max_gap: float) -> tuple[np.ndarray, float, float] | None:
    """The dowel pixels on the line through the piece ``start``, joined across gaps up to
    ``max_gap``: (points, length, width), or None when too thinly covered or too washed out."""
    centre, d, _, width = _axis(start)
    normal = np.array([-d[1], d[0]])
    band = max(1.5, 0.75 * width)
    # Every pixel's place along the line and off it, once: the line's own pixels are those within
    # a band, its flanks the strips beyond.
    along_all, across = (pts - centre) @ d, (pts - centre) @ normal
    keep = np.abs(across) <= band
    near, near_strong, along = pts[keep], strong[keep], along_all[keep]
    own = (start - centre) @ d
    lo, hi = float(own.min()), float(own.max())
    # Walk outwards from the starting piece while the next dowel pixel is within a gap.
    ordered = np.sort(along)
    for v in ordered[ordered < lo][::-1]:
        if lo - v > max_gap:
            break
        lo = float(v)
    for v in ordered[ordered > hi]:
        if v - hi > max_gap:
            break
        hi = float(v)
    # Washed-out pixels bridge the line but never end it: skin or wood may continue a dowel's line.
    ends = along[near_strong & (along >= lo) & (along <= hi)]
    lo, hi = float(ends.min()), float(ends.max())
    inside = (along >= lo) & (along <= hi)
    on = near[inside]
    length = hi - lo + 1.0
    covered = len(np.unique(np.round(along[inside])))
    if covered < MIN_COVER * length or near_strong[inside].mean() < MIN_STRONG_SHARE:
        return None
    # Each side's strip, 1.5 to 3.5 band widths off the line: how many of its positions along the
    # line hold dowel colour.
    flank = ((np.abs(across) > 1.5 * band) & (np.abs(across) <= 3.5 * band)
             & (along_all >= lo) & (along_all <= hi))
    shares = [len(np.unique(np.round(along_all[flank & (np.sign(across) == sign)]))) / length
              for sign in (-1.0, 1.0)]
    if min(shares) > MAX_FLANK_SHARE:
        return None
    _, _, _, spread = _axis(on)
    return on, length, spread


def _on_back(line: Line, pose: Pose, torso: float) -> bool:
    """Whether ``line`` (frame pixels) can be a dowel on this member's back."""
    side = near_side(pose)
    hip, shoulder = pose.point(f"{side}_hip"), pose.point(f"{side}_shoulder")
    reach = BACK_REACH_TORSO * torso
    if abs(line.distance(hip)) > reach or abs(line.distance(shoulder)) > reach:
        return False
    trunk = (shoulder - hip) / max(float(np.hypot(*(shoulder - hip))), 1e-6)
    return float(abs(trunk @ line.direction())) >= np.cos(np.radians(BACK_TILT_DEG))


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
    hsv = cv2.cvtColor(roi, cv2.COLOR_RGB2HSV)
    # Lines start from pieces in the staff's band and gather the washed-out pixels along them.
    in_band = colour_mask(hsv, settings)
    pieces = _pieces(in_band)
    if not pieces:
        return None
    ys, xs = np.nonzero(colour_mask(hsv, settings, WEAK_SHARE) | in_band)
    pts = np.column_stack([xs, ys]).astype(np.float32)
    strong = in_band[ys, xs] > 0
    # Lengths scale with the torso when a pose is known, else with the frame.
    torso = min_len / MIN_LENGTH_TORSO
    max_width = MAX_WIDTH_TORSO * torso * scale if pose is not None else np.inf
    starts = []
    for piece in pieces:
        _, _, length, width = _axis(piece)
        if length >= MIN_PIECE_PX and length >= MIN_PIECE_ELONGATION * width and width <= max_width:
            starts.append((length, piece))
    starts.sort(key=lambda s: -s[0])
    best, best_len = None, min_len * scale
    for _, piece in starts[:MAX_STARTS]:
        joined = _joined(piece, pts, strong, max(MAX_GAP_TORSO * torso * scale, 1.5))
        if joined is None:
            continue
        on, length, width = joined
        if length < best_len or length / max(width, 1.0) < MIN_ELONGATION or width > max_width:
            continue
        line = _fit(on, x0, y0, scale)
        if pose is None or _on_back(line, pose, torso):
            best, best_len = line, length
    return best


def _fit(on: np.ndarray, x0: int, y0: int, scale: float) -> Line:
    """The line through a dowel's pixels (work pixels) from end to end, in frame pixels."""
    vx, vy, cx, cy = cv2.fitLine(on, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    along = (on[:, 0] - cx) * vx + (on[:, 1] - cy) * vy
    ends = [(cx + t * vx, cy + t * vy) for t in (float(along.min()), float(along.max()))]
    # Top end first, and back to frame pixels (pixel centres through the resize).
    ends.sort(key=lambda p: p[1])
    return Line(*[(float(x0 + (x + 0.5) / scale - 0.5), float(y0 + (y + 0.5) / scale - 0.5))
                  for x, y in ends])
