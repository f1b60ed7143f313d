"""The shape of the back from the person's silhouette: does its outline between hip and shoulder
run straight, or bulge (a rounded back)?

Landmarks put the hip and shoulder joints inside the body; the back's outline is where the
silhouette ends on the far side from the face. Along the hip -> shoulder line, the outline is
traced outwards at evenly spaced stations; its bulge is how far it stands out of the straight line
through its two end stations, as a share of that line's length (the sagitta over the chord).

The silhouette is the whole person, so an arm held behind the trunk (hands on a bar or band across
the shoulders, on the hips, a row's pull) joins the back's outline and would read as a hump. Where
an elbow stands out behind the back, the stations along that arm are left out; a back with fewer
than half its stations left is not judged (None).
"""

from __future__ import annotations

import numpy as np

from station.coach.vocabulary import Side
from station.pose.landmarks import Pose
from station.pose.silhouette import Silhouette

# The stations run from just above the hip (the buttocks round the outline at the hip joint) to
# just below the shoulder joint: the lumbar spine and the whole thoracic curve below the shoulder
# line (the thoracic kyphosis's apex lies near T7, about two thirds of the way up), where a flexed
# upper back shows most. 0.05 of the way apart.
STATION_FROM, STATION_TO, STATIONS = 0.12, 0.95, 18
# The outline is searched out to this many hip-to-shoulder lengths from the joint line.
REACH = 1.0
# An arm may lie on the back's outline once its elbow stands this far (hip-to-shoulder lengths)
# behind the hip -> shoulder line. The back's surface runs 0.15-0.3 behind that line (measured on
# the upright photos of tests/data/photos, where no arm covers it; half a chest depth of 22-27 cm,
# ANSUR II, over a hip-to-shoulder length of ~50 cm is 0.22-0.27), and an arm stands ~0.1 out of
# the elbow's centre (upper-arm circumference 28-36 cm: a radius of 4.5-5.7 cm): from 0.15 - 0.1
# the arm can reach the thinnest back's outline.
ARM_BEHIND = 0.05
# Stations along such an arm, from its shoulder's level to its elbow's (and its wrist's, when the
# hand is behind the back too), widened by the arm's radius, are left out.
ARM_RADIUS = 0.1
# Below half the stations the outline left is too short to judge the back by: the thoracic curve
# alone spans about half the hip -> shoulder line (T1-T12 some 26-28 cm of ~50).
MIN_SHARE = 0.5


def _arm_spans(pose: Pose, hip: np.ndarray, d: np.ndarray, n: np.ndarray,
               length: float) -> list[tuple[float, float]]:
    """The stretches (in hip -> shoulder fractions) along which an arm lies on the back's outline."""
    spans = []
    for s in ("left", "right"):
        shoulder, elbow, wrist = (pose.point(f"{s}_{j}") for j in ("shoulder", "elbow", "wrist"))
        if float((elbow - hip) @ n) <= ARM_BEHIND * length:
            continue
        joints = [shoulder, elbow] + ([wrist] if float((wrist - hip) @ n) > ARM_BEHIND * length else [])
        along = [float((j - hip) @ d) / length for j in joints]
        spans.append((min(along) - ARM_RADIUS, max(along) + ARM_RADIUS))
    return spans


def back_outline(pose: Pose, silhouette: Silhouette, side: Side, facing: Side) -> np.ndarray | None:
    """Frame points (k, 2) of the back's outline between hip and shoulder, from hip to shoulder,
    the stations an arm lies on left out; None where the silhouette does not close (the back runs
    off the ROI or the mask is empty) or fewer than MIN_SHARE of the STATIONS are left."""
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
    spans = _arm_spans(pose, hip, d, n, length)
    depth = np.empty(len(t))  # how far behind the joint line the outline runs, frame pixels
    for i, row in enumerate(on):
        inside = np.flatnonzero(row)
        if inside.size == 0 or row[inside[0]:].all():
            return None
        depth[i] = r[inside[0] + np.argmax(~row[inside[0]:])]
    # A back's curve spans many stations; one station standing out alone is a mask's speck or
    # a thing held against the back, not the spine: each station takes the median of itself and
    # its two neighbours.
    depth[1:-1] = np.median(np.stack([depth[:-2], depth[1:-1], depth[2:]]), axis=0)
    kept = np.array([not any(a <= at <= b for a, b in spans) for at in t])
    if kept.sum() < MIN_SHARE * STATIONS:
        return None
    return (base + depth[:, None] * n)[kept]


def back_bulge(pose: Pose, silhouette: Silhouette, side: Side, facing: Side) -> float | None:
    """The outline's largest bulge outwards from its chord, over the chord's length (0 for a
    straight back); None when the outline cannot be traced or an arm hides too much of it."""
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
