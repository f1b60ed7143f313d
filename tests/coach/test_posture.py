"""`station analyze` against the coach's labels on the real photos: view, phase and spine."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from station.coach.posture import Angles, phase_of, spine_of
from tests.helpers.images import rounding_window
from tests.helpers.paths import missing


@pytest.fixture(scope="module")
def photo_windows(photos, tmp_path_factory) -> dict[str, list]:
    """Each labelled photo's rounding window (tests/helpers/images.py): the photo and 12 copies moved
    +-1 grey level, the copies as lossless BMPs for the command line."""
    import cv2

    from station.camera.files import read_image

    folder = tmp_path_factory.mktemp("windows")
    windows = {}
    for name in json.loads((photos / "labels.json").read_text()):
        window = rounding_window(read_image(photos / name))
        paths = [photos / name]
        for k, rgb in enumerate(window[1:], 1):
            paths.append(folder / f"{name}.{k}.bmp")
            assert cv2.imwrite(str(paths[-1]), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        windows[name] = paths
    return windows


@pytest.mark.parametrize("model", ["full", "full_int8"])
def test_analyze_gets_every_labelled_photo_right(photos, model_folder, photo_windows, model: str) -> None:
    """With either landmark model (issue 18: coaching unchanged with the int8 one; the spine of a
    photo also reads the silhouette, from the whole model's segmentation decoder).

    Each label is judged by the majority over the photo's rounding window, not by the photo alone:
    a neutral photo's spine hangs on its back's bulge (limit 0.088), and one frame of Box_Squat__1
    with the int8 model reads rounded in 16-19 % of the copies moved +-1 grey level (32 copies
    each with OpenCV 4.11, 4.14 and 5.1 alike; Box_Squat__0 in 0-6 %), so one photo's verdict is a
    draw that another OpenCV build's rounding redraws; a wrong majority of 13 at 19 % a frame is
    0.5 %. View and phase keep wide margins in every copy (side views' depth ratio 1.6 or more
    against 1.0, front ones 0.81 or less; hip and knee 5 degrees or more from their limits).
    """
    from collections import Counter

    from station.pose.models import check_int8

    if model == "full_int8" and check_int8(model_folder) is not None:
        missing(f"no verified int8 landmark model in {model_folder}; run `station models quantize`")
    labels = json.loads((photos / "labels.json").read_text())
    photo_of = {str(path): name for name, paths in photo_windows.items() for path in paths}
    cmd = [sys.executable, "-m", "station", "analyze", "--json", "--model", model, *photo_of]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    seen: dict[str, list[dict]] = {name: [] for name in labels}
    for line in done.stdout.splitlines():
        rec = json.loads(line)
        seen[photo_of[rec["file"]]].append({k: rec[k] for k in ("view", "phase", "spine")})
        assert set(rec["angles"]) >= {"hip_flexion", "knee_flexion", "torso_inclination", "head_spine"}
        assert rec["facing"] in ("left", "right", None) and "dowel" in rec
    for name, label in labels.items():
        assert len(seen[name]) == len(photo_windows[name]), name
        for field, want in label.items():
            votes = Counter(frame[field] for frame in seen[name])
            assert votes[want] > len(seen[name]) / 2, (name, field, dict(votes))


@pytest.mark.parametrize(("hip", "knee", "torso", "head", "phase", "spine"), [
    (12, 14, 4, 30, "upright", "neutral"),       # standing tall
    (38, 20, 12, 25, "upright", "neutral"),      # standing, the hip read high: the trunk is vertical
    (60, 20, 45, 10, "hinge", "neutral"),        # half-way down a hinge
    (104, 24, 73, 3, "hinge", "neutral"),        # a flat-back hinge
    (136, 12, 122, 3, "hinge", "rounded"),       # shoulders far below the hips: the spine flexed
    (90, 85, 27, 17, "squat", "neutral"),        # knees forward, hips down
    (80, 20, 60, 70, "hinge", "rounded"),        # head and upper back curled down
])
def test_single_frame_phase_and_spine(hip, knee, torso, head, phase, spine) -> None:
    a = Angles(hip, knee, torso, 5.0, head)
    assert (phase_of(a), spine_of(a)) == (phase, spine)


def test_kneeling_faces_the_way_the_knees_point_not_the_toes() -> None:
    """On all fours or kneeling the toes point back; the knee ahead of the ankle gives the way
    (Cat_Stretch, Childs_Pose and the kneeling crunches of tests/data/photos read backwards by
    the toes). Standing, the toes still decide."""
    import numpy as np

    from station.coach.posture import facing_of
    from station.coach.vocabulary import Side
    from station.pose.landmarks import INDEX, NUM_LANDMARKS, Pose

    def pose_of(points: dict[str, tuple[float, float]]) -> Pose:
        xy = np.zeros((NUM_LANDMARKS, 2))
        for name, p in points.items():
            for s in ("left", "right"):
                xy[INDEX[f"{s}_{name}"]] = p
        return Pose(xy, np.ones(NUM_LANDMARKS), size=(640, 480))

    # Facing right on all fours: knee ahead (right) of the ankle, shank on the floor, toes back.
    kneeling = pose_of({"hip": (300, 200), "knee": (350, 300), "ankle": (200, 310),
                        "heel": (195, 300), "foot_index": (150, 318), "shoulder": (480, 190),
                        "ear": (540, 210)})
    assert facing_of(kneeling) == Side.RIGHT
    # Standing facing left, toes to the left, a slightly bent knee: the toes decide as before.
    standing = pose_of({"hip": (300, 200), "knee": (290, 300), "ankle": (300, 400),
                        "heel": (310, 410), "foot_index": (260, 412), "shoulder": (300, 60),
                        "ear": (300, 20)})
    assert facing_of(standing) == Side.LEFT
