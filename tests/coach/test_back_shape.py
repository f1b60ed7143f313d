"""The back's outline from a silhouette: straight backs read flat, arcs read their sagitta, an arm
or a speck on the outline is not the back, and on the labelled photos the rounded back stands out
from every neutral one."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from station.coach.back_shape import STATION_FROM, STATION_TO, STATIONS, back_bulge
from station.coach.posture import facing_of, near_side
from station.coach.thresholds import PHOTO_ROUNDED_BACK_BULGE
from station.coach.vocabulary import Side
from station.pose.landmarks import INDEX, NUM_LANDMARKS, Pose
from station.pose.roi import Roi
from station.pose.silhouette import Silhouette

SIZE = 256
ROI = Roi(200.0, 200.0, 400.0, 0.0, 320.0)  # frame px = mask px * 400 / 256, no rotation


def pose_with(hip: tuple[float, float], shoulder: tuple[float, float],
              elbow: tuple[float, float] | None = None) -> Pose:
    """Hip and shoulder on both sides; the arms hang in front of the trunk (facing right) unless
    ``elbow`` puts both elbows (and the wrists just below) elsewhere."""
    xy = np.zeros((NUM_LANDMARKS, 2))
    vis = np.ones(NUM_LANDMARKS)
    mid = ((hip[0] + shoulder[0]) / 2 + 60, (hip[1] + shoulder[1]) / 2)
    for s in ("left", "right"):
        xy[INDEX[f"{s}_hip"]] = hip
        xy[INDEX[f"{s}_shoulder"]] = shoulder
        xy[INDEX[f"{s}_elbow"]] = elbow or mid
        xy[INDEX[f"{s}_wrist"]] = np.add(elbow or mid, (0, 40))
    return Pose(xy, vis, size=(400, 400))


def silhouette_of(polygon_frame: np.ndarray) -> Silhouette:
    mask = np.zeros((SIZE, SIZE), np.float32)
    pts = np.round(polygon_frame * SIZE / ROI.side).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1.0)
    return Silhouette(mask, ROI)


def test_a_straight_back_is_flat() -> None:
    # Upright, facing right: the back is the slab's left edge, 40 px behind the joint line.
    pose = pose_with((200, 300), (200, 100))
    body = np.array([[160, 60], [260, 60], [260, 340], [160, 340]], float)
    assert back_bulge(pose, silhouette_of(body), Side.RIGHT, Side.RIGHT) == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize("arc_deg", [30.0, 60.0, 90.0])
def test_an_arched_back_reads_its_sagitta(arc_deg: float) -> None:
    # Facing right, the back bulges to the left as a circular arc through the hip and shoulder
    # levels; its sagitta over its chord is tan(arc / 4) / 2.
    pose = pose_with((200, 320), (200, 80))
    chord = 240.0
    radius = chord / 2 / math.sin(math.radians(arc_deg) / 2)
    centre_x = 160 + radius * math.cos(math.radians(arc_deg) / 2)
    angles = np.linspace(-arc_deg / 2, arc_deg / 2, 60)
    a = np.radians(angles)
    back = np.column_stack([centre_x - radius * np.cos(a), 200 + radius * np.sin(a)])
    body = np.vstack([back, [[260, 320], [260, 80]]])
    measured = back_bulge(pose, silhouette_of(body), Side.RIGHT, Side.RIGHT)
    # The stations cover part of the arc only (STATION_FROM to STATION_TO of the way up): the
    # part between them turns through less, and bulges less over its own chord.
    half = math.sin(math.radians(arc_deg) / 2)
    ends = [math.degrees(math.asin(2 * (t - 0.5) * half)) for t in (STATION_FROM, STATION_TO)]
    inner = ends[1] - ends[0]
    assert measured == pytest.approx(math.tan(math.radians(inner) / 4) / 2, abs=0.02)


def test_facing_left_mirrors() -> None:
    pose = pose_with((200, 300), (200, 100), elbow=(150, 200))  # the arms hang in front: to the left
    body = np.array([[140, 60], [240, 60], [240, 340], [140, 340]], float)
    # Facing left the back is on the right: the slab's right edge, straight.
    assert back_bulge(pose, silhouette_of(body), Side.RIGHT, Side.LEFT) == pytest.approx(0.0, abs=0.02)


SLAB = np.array([[160, 60], [260, 60], [260, 340], [160, 340]], float)  # a straight back at x = 160


def test_an_arm_behind_the_back_is_not_read_as_a_hump() -> None:
    # Facing right with the elbow pulled back behind the trunk (hands on a bar across the
    # shoulders, a row's pull): the upper arm stands 35 px out of a straight back, all along from
    # the shoulder down to the elbow. The silhouette cannot tell arm from back: the stations along
    # the arm are left out, and what is left is too little to judge.
    arm = np.array([[125, 80], [160, 80], [160, 200], [125, 200]], float)
    body = silhouette_of(np.vstack([SLAB]))
    mask = body.mask.copy()
    cv2.fillPoly(mask, [np.round(arm * SIZE / ROI.side).astype(np.int32)], 1.0)
    with_arm = Silhouette(mask, ROI)
    hanging = pose_with((200, 320), (200, 80))
    assert back_bulge(hanging, with_arm, Side.RIGHT, Side.RIGHT) > PHOTO_ROUNDED_BACK_BULGE  # seen as a hump
    behind = pose_with((200, 320), (200, 80), elbow=(140, 190))
    assert back_bulge(behind, with_arm, Side.RIGHT, Side.RIGHT) is None


def test_one_station_standing_out_alone_is_not_the_back() -> None:
    # A thin thing against a straight back (a band's edge, a speck in the mask) catches one
    # station only: the median over each station's neighbours takes it out.
    pose = pose_with((200, 320), (200, 80))
    spacing = (STATION_TO - STATION_FROM) / (STATIONS - 1) * 240
    y = 320 - (STATION_FROM + 8 * (STATION_TO - STATION_FROM) / (STATIONS - 1)) * 240
    stub = np.array([[120, y - spacing / 3], [160, y - spacing / 3], [160, y + spacing / 3],
                     [120, y + spacing / 3]], float)
    mask = silhouette_of(SLAB).mask.copy()
    cv2.fillPoly(mask, [np.round(stub * SIZE / ROI.side).astype(np.int32)], 1.0)
    assert back_bulge(pose, Silhouette(mask, ROI), Side.RIGHT, Side.RIGHT) == pytest.approx(0.0, abs=0.02)


def test_no_outline_without_a_silhouette() -> None:
    pose = pose_with((200, 300), (200, 100))
    empty = Silhouette(np.zeros((SIZE, SIZE), np.float32), ROI)
    assert back_bulge(pose, empty, Side.RIGHT, Side.RIGHT) is None


def test_labelled_photos_rounded_backs_bulge_and_neutral_ones_do_not(photos, estimator) -> None:
    """Each photo's bulge is judged over the photo's rounding window (the photo and 12 copies moved
    +-1 grey level, tests/helpers/images.py), never by one frame: one frame's bulge moves with
    OpenCV's rounding. A rounded back bulges past the limit in most of the window; a neutral one
    does not (its bulge stays under the limit, or is not judged where an arm lies on the back).

    Measured with OpenCV 5.1 (float model): Standing_Toe_Touches__1 (rounded) 0.148-0.181; the
    neutral photos 0.000-0.043 where judged; Good_Morning__0 unjudged in 8 of 13 frames, Box_Squat
    and Standing_Toe_Touches__0 in all 13 (an elbow behind the back: back_shape.ARM_BEHIND).
    """
    from station.camera.files import read_image
    from tests.helpers.images import rounding_window

    labels = json.loads((photos / "labels.json").read_text())
    side = {name: label for name, label in labels.items() if label["view"] == "side"}
    assert len(side) >= 4 and any(label["spine"] == "rounded" for label in side.values())
    for name, label in side.items():
        bulges = []
        for frame in rounding_window(read_image(photos / name)):
            pose = estimator.process(frame, video=False)
            assert pose is not None, name
            bulges.append(back_bulge(pose, estimator.silhouette(), near_side(pose), facing_of(pose)))
        over = sum(b is not None and b > PHOTO_ROUNDED_BACK_BULGE for b in bulges)
        rounded = label["spine"] == "rounded"
        assert (over > len(bulges) / 2) == rounded, (name, bulges)
