"""The dowel finder on real photos with a dowel drawn onto them, and on synthetic frames."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from station.coach.dowel import find_dowel
from station.coach.geometry import Line
from station.coach.posture import facing_of, near_side, torso_length
from station.coach.signals import Baseline, Raw, measure, midline_points, relative
from station.coach.vocabulary import Contact
from station.config.settings import Settings

ORANGE = (255, 100, 0)
GREEN = (40, 220, 60)


def side_photos(photos) -> list:
    labels = json.loads((photos / "labels.json").read_text())
    return [photos / name for name, label in labels.items() if label["view"] == "side"]


def coach_measure(pose, line: Line | None) -> Raw:
    """The frame as the coach measures it, dowel distances included."""
    return measure(pose, near_side(pose), facing_of(pose), line)


def back_line(pose, off_head: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Ends of a dowel along the back: 0.1 torso lengths behind shoulder and hip (on the back's
    midline, where a dowel lies and the coach measures it), through the head."""
    side = near_side(pose)
    mid = midline_points(pose, side)
    hip, shoulder = np.array(mid[Contact.SACRUM]), np.array(mid[Contact.UPPER_BACK])
    torso = torso_length(pose)
    d = (shoulder - hip) / np.hypot(*(shoulder - hip))
    n = np.array([-d[1], d[0]])
    if np.dot(pose.point("nose") - shoulder, n) > 0:  # the face is in front: the back is the other way
        n = -n
    low = hip + 0.1 * torso * n - 0.15 * torso * d
    top = shoulder + 0.1 * torso * n + 0.7 * torso * d
    top = top + off_head * torso * n  # the top end pulled back off the head
    return low, top


def draw(rgb: np.ndarray, ends, colour=ORANGE) -> np.ndarray:
    out = rgb.copy()
    thick = max(3, round(0.015 * rgb.shape[0]))
    a, b = (tuple(round(v) for v in p) for p in ends)
    cv2.line(out, a, b, colour, thick)
    return out


@pytest.fixture(scope="module")
def posed(photos, estimator):
    from station.camera.files import read_image

    found = []
    for path in side_photos(photos):
        rgb = read_image(path)
        pose = estimator.process(rgb, video=False)
        assert pose is not None, path.name
        found.append((path.name, rgb, pose))
    assert len(found) >= 2, "the tests below loop over the side-view photos: too few to mean anything"
    return found


def test_dowel_drawn_along_the_back_is_found_and_touches_all_three(posed) -> None:
    for name, rgb, pose in posed:
        ends = back_line(pose)
        line = find_dowel(draw(rgb, ends), pose, Settings())
        assert line is not None, name
        drawn = Line(tuple(ends[0]), tuple(ends[1]))
        angle = np.degrees(np.arccos(abs(np.dot(line.direction(), drawn.direction()))))
        assert angle < 3.0, (name, angle)
        assert drawn.distance(line.p0) < 6 and drawn.distance(line.p1) < 6, name
        raw = coach_measure(pose, line)
        assert raw.dowel_dist is not None, name
        gaps = {c: d / raw.torso_px for c, d in raw.dowel_dist.items()}
        assert gaps[Contact.UPPER_BACK] < 0.15 and gaps[Contact.SACRUM] < 0.15, (name, gaps)


def test_dowel_off_the_head_shows_a_head_gap_against_the_standing_baseline(posed) -> None:
    """The coach's own path: a baseline with the dowel on, then a frame with it off the head."""
    for name, rgb, pose in posed:
        on = coach_measure(pose, find_dowel(draw(rgb, back_line(pose)), pose, Settings()))
        off = coach_measure(pose, find_dowel(draw(rgb, back_line(pose, off_head=0.5)), pose, Settings()))
        base = Baseline.average(near_side(pose), facing_of(pose), [on])
        gaps = relative(off, base).gaps
        assert gaps is not None, name
        assert gaps[Contact.HEAD] > 0.15, (name, gaps)
        assert abs(gaps[Contact.SACRUM]) < 0.1, (name, gaps)


def test_no_dowel_no_line(posed) -> None:
    for name, rgb, pose in posed:
        assert find_dowel(rgb, pose, Settings()) is None, name


def test_staff_set_colour_finds_a_green_dowel_and_ignores_orange(posed) -> None:
    green = Settings().changed(dowel_hue_min=45, dowel_hue_max=75, dowel_sat_min=100, dowel_val_min=100)
    _name, rgb, pose = posed[0]
    assert find_dowel(draw(rgb, back_line(pose), GREEN), pose, green) is not None
    assert find_dowel(draw(rgb, back_line(pose), ORANGE), pose, green) is None


def test_without_a_pose_the_whole_frame_is_searched() -> None:
    frame = np.full((480, 640, 3), 90, np.uint8)
    cv2.line(frame, (100, 400), (300, 60), ORANGE, 8)
    cv2.circle(frame, (500, 300), 30, ORANGE, -1)  # orange, but round: not a dowel
    line = find_dowel(frame, None, Settings())
    assert line is not None
    assert Line((100, 400), (300, 60)).distance(line.p0) < 3
    assert line.p0[1] < line.p1[1]  # top end first


def test_red_band_wrapping_through_zero() -> None:
    frame = np.zeros((300, 300, 3), np.uint8)
    cv2.line(frame, (150, 20), (150, 280), (230, 0, 40), 6)  # a red with hue just below 180
    wrap = Settings().changed(dowel_hue_min=170, dowel_hue_max=10)
    assert find_dowel(frame, None, wrap) is not None
    assert find_dowel(frame, None, Settings().changed(dowel_hue_min=0, dowel_hue_max=10)) is None


def _hands_on(rgb: np.ndarray, ends, torso: float) -> np.ndarray:
    """Two skin-coloured hands wrapped round the dowel, a third and two thirds of the way up, each a
    hand's breadth (0.2 torso lengths) along it."""
    out = rgb.copy()
    a, b = np.asarray(ends[0], float), np.asarray(ends[1], float)
    for share in (1 / 3, 2 / 3):
        c = a + share * (b - a)
        size = round(0.1 * torso)
        cv2.circle(out, (round(c[0]), round(c[1])), size, (205, 160, 130), -1)
    return out


def test_a_dowel_cut_into_pieces_by_the_hands_is_one_line_end_to_end(posed) -> None:
    """The hands split one dowel into three pieces on one line: the whole dowel is found, not its
    longest piece (whose line would end halfway and tilt with the pixels of one third)."""
    for name, rgb, pose in posed:
        ends = back_line(pose)
        line = find_dowel(_hands_on(draw(rgb, ends), ends, torso_length(pose)), pose, Settings())
        assert line is not None, name
        drawn_len = float(np.hypot(*np.subtract(ends[1], ends[0])))
        found_len = float(np.hypot(*np.subtract(line.p1, line.p0)))
        assert found_len > 0.9 * drawn_len, (name, found_len, drawn_len)


def test_a_washed_out_dowel_is_found_and_a_washed_out_line_alone_is_not(posed) -> None:
    """Video compression and shade wash a thin dowel's colour out below the staff's band along most
    of its length: the stretches still in the band start the line and the washed-out rest fills it
    in (in-band pixels alone cover too little of it); a line washed out all along is no dowel."""
    _name, rgb, pose = posed[0]
    ends = back_line(pose)
    pale = (240, 155, 105)  # the dowel's hue, saturation 143: below the band (170), above 0.75 of it
    a, b = np.asarray(ends[0]), np.asarray(ends[1])
    mixed = draw(rgb, ends, pale)
    for start in (0.0, 0.3, 0.6, 0.9):  # 10 % stretches in the band, 20 % washed out between
        mixed = draw(mixed, (a + start * (b - a), a + (start + 0.1) * (b - a)))
    line = find_dowel(mixed, pose, Settings())
    assert line is not None
    assert float(np.hypot(*np.subtract(line.p1, line.p0))) > 0.9 * float(np.hypot(*(b - a)))
    assert find_dowel(draw(rgb, ends, pale), pose, Settings()) is None


def test_an_orange_rod_away_from_the_back_is_not_the_dowel(posed) -> None:
    """A loud orange line (a rack's upright, a wall's stripe between posts) is long and thin, but
    not on the member's back: across the trunk at the hips, or parallel to it a torso away."""
    for name, rgb, pose in posed:
        side = near_side(pose)
        hip, shoulder = pose.point(f"{side}_hip"), pose.point(f"{side}_shoulder")
        torso = torso_length(pose)
        d = (shoulder - hip) / np.hypot(*(shoulder - hip))
        n = np.array([-d[1], d[0]])
        across = (hip - 1.2 * torso * n, hip + 1.2 * torso * n)
        assert find_dowel(draw(rgb, across), pose, Settings()) is None, name
        for away in (-1.0, 1.0):
            far = (hip + away * torso * n - 0.3 * torso * d, shoulder + away * torso * n + 0.5 * torso * d)
            assert find_dowel(draw(rgb, far), pose, Settings()) is None, (name, away)
