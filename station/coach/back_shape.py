"""The shape of the back from the person's silhouette: does its outline between hip and shoulder
run straight, or bulge (a rounded back)?

Landmarks put the hip and shoulder joints inside the body; the back's outline is where the
silhouette ends on the far side from the face. Along the hip -> shoulder line, the outline is
traced outwards at evenly spaced stations; its bulge is how far it stands out of the straight line
through its two end stations, as a share of that line's length (the sagitta over the chord).
"""

from __future__ import annotations

import numpy as np

from station.coach.vocabulary import Side
from station.pose.landmarks import Pose
from station.pose.silhouette import Silhouette

# The stations run from just above the hip to well below the shoulder: the buttocks round the
# outline at the hip, and arms that hold a bar or reach back lie on it at the shoulder.
STATION_FROM, STATION_TO, STATIONS = 0.12, 0.72, 13
# The outline is searched out to this many hip-to-shoulder lengths from the joint line.
REACH = 1.0


def back_outline(pose: Pose, silhouette: Silhouette, side: Side, facing: Side) -> np.ndarray | None:
    """Frame points (STATIONS, 2) of the back's outline between hip and shoulder, or None where
    the silhouette does not close (the back runs off the ROI or the mask is empty)."""
    hip, shoulder = pose.point(f"{side}_hip"), pose.point(f"{side}_shoulder")
    length = float(np.hypot(*(shoulder - hip)))
    if length < 1.0:
        return None
    d = (shoulder - hip) / length
    # The back is on the far side from the way the member faces (image y points down).
    n = np.array([d[1], -d[0]]) if facing == Side.RIGHT else np.array([-d[1], d[0]])
    step = silhouette.roi.side / silhouette.size  # one mask pixel in frame pixels
    r = np.arange(0.0, REACH * length, step)
    t = np.linspace(STATION_FROM, STATION_TO, STATIONS)
    base = hip + (t * length)[:, None] * d
    points = base[:, None, :] + r[None, :, None] * n
    on = silhouette.covers(points.reshape(-1, 2)).reshape(len(t), len(r))
    outline = []
    for row, start in zip(on, base, strict=True):
        inside = np.flatnonzero(row)
        if inside.size == 0:
            return None
        edge = inside[0] + np.argmax(~row[inside[0]:]) if not row[inside[0]:].all() else None
        if edge is None:
            return None
        outline.append(start + r[edge] * n)
    return np.array(outline)


def back_bulge(pose: Pose, silhouette: Silhouette, side: Side, facing: Side) -> float | None:
    """The outline's largest bulge outwards from its chord, over the chord's length (0 for a
    straight back); None when the outline cannot be traced."""
    outline = back_outline(pose, silhouette, side, facing)
    if outline is None:
        return None
    a, b = outline[0], outline[-1]
    chord = float(np.hypot(*(b - a)))
    if chord < 1.0:
        return None
    u = (b - a) / chord
    normal = np.array([-u[1], u[0]])
    # Distances off the chord, positive on the back's side (away from the body).
    hip, shoulder = pose.point(f"{side}_hip"), pose.point(f"{side}_shoulder")
    if float(normal @ ((hip + shoulder) / 2 - a)) > 0:
        normal = -normal
    off = (outline - a) @ normal
    return float(max(off.max(), 0.0)) / chord
