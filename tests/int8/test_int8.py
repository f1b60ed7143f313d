"""The int8 landmark model's build steps: the model rewrite, the calibration set, the recipe.

The rewrite tests need the float model (``station models fetch``); the build test needs
ai-edge-quantizer (``pip install -e .[quantize]``) and is in ``benchmarks/int8_compare.py``
and ``station models quantize`` instead, because calibration takes about a minute.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from station.int8 import calibset
from station.pose import rewrite
from station.pose.models import LANDMARKER
from tests.helpers import pose_checks
from tests.helpers.images import read_rgb
from tests.helpers.paths import missing
from tests.helpers.pose_checks import REAL_MOVEMENTS

PHOTO_TYPES = (".jpg", ".jpeg", ".png")


@pytest.fixture(scope="module")
def float_model(model_folder: Path) -> bytes:
    return (model_folder / LANDMARKER.name).read_bytes()


@pytest.fixture(scope="module")
def folded(float_model: bytes) -> bytes:
    return rewrite.add_signature(rewrite.fold_dequantize(float_model))


def _outputs(model: bytes, x: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model, num_threads=1)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return {tuple(d["shape"]): interpreter.get_tensor(d["index"]).copy()
            for d in interpreter.get_output_details()}


def test_folding_removes_every_dequantize_and_changes_no_output(float_model: bytes, folded: bytes) -> None:
    before = [op for op, _ in rewrite.op_summary(float_model)]
    after = [op for op, _ in rewrite.op_summary(folded)]
    assert before.count("DEQUANTIZE") == 192  # blazepose.md: the weights are float16
    assert "DEQUANTIZE" not in after
    assert [op for op in before if op != "DEQUANTIZE"] == after
    x = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
    want, got = _outputs(float_model, x), _outputs(folded, x)
    assert want.keys() == got.keys() and len(want) == 5
    for shape in want:
        np.testing.assert_array_equal(got[shape], want[shape])  # bit for bit, not merely close


def test_rewrite_is_deterministic_and_adds_a_signature(float_model: bytes, folded: bytes) -> None:
    from ai_edge_litert.interpreter import Interpreter

    assert rewrite.add_signature(rewrite.fold_dequantize(float_model)) == folded
    signatures = Interpreter(model_content=folded).get_signature_list()
    outputs = ["Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"]
    assert signatures == {rewrite.SIGNATURE_KEY: {"inputs": ["input_1"], "outputs": outputs}}


def _int8_bytes(model_folder: Path) -> bytes:
    from station.pose.models import LANDMARKER_INT8, check_int8

    if check_int8(model_folder) is not None:
        missing(f"no verified int8 landmark model in {model_folder}; run `station models quantize`")
    return (model_folder / LANDMARKER_INT8.name).read_bytes()


@pytest.mark.parametrize("which", ["float", "folded", "int8"])
def test_tracking_model_lacks_only_the_segmentation_decoder(
        which: str, float_model: bytes, folded: bytes, model_folder: Path) -> None:
    """The station tracks with the landmark model cut down to what it reads: the segmentation
    output and the ops that fed only it are gone, every other output is the same bit for bit.
    The int8 model keeps its weights after the flatbuffer (ai-edge-quantizer's layout): they must
    survive the rewrite; the folded model has a signature whose indices must follow."""
    from ai_edge_litert.interpreter import Interpreter

    from station.pose.landmarker import SEGMENTATION_SHAPE

    model = {"float": lambda: float_model, "folded": lambda: folded,
             "int8": lambda: _int8_bytes(model_folder)}[which]()
    cut = rewrite.without_outputs(model, {SEGMENTATION_SHAPE})
    assert rewrite.without_outputs(model, {SEGMENTATION_SHAPE}) == cut  # deterministic
    x = np.random.default_rng(1).random((1, 256, 256, 3), dtype=np.float32)
    want, got = _outputs(model, x), _outputs(cut, x)
    assert set(want) - set(got) == {SEGMENTATION_SHAPE} and len(got) == 4
    for shape in got:
        np.testing.assert_array_equal(got[shape], want[shape])
    ops, cut_ops = rewrite.op_summary(model), rewrite.op_summary(cut)
    # The decoder's 128x128 and 256x256 stages: 22 ops of the int8 model, 46 of the released
    # one (its float16 weights' DEQUANTIZEs with them).
    assert 20 <= len(ops) - len(cut_ops) <= 50, (len(ops), len(cut_ops))
    if which == "folded":
        seg = [d["name"] for d in Interpreter(model_content=model).get_output_details()
               if tuple(d["shape"]) == SEGMENTATION_SHAPE]
        runner = Interpreter(model_content=cut).get_signature_runner(rewrite.SIGNATURE_KEY)
        answer = runner(input_1=x)  # the signature's indices follow the renumbered tensors
        assert len(seg) == 1 and seg[0] not in answer and len(answer) == 4
        assert sorted(a.size for a in answer.values()) == sorted(a.size for a in got.values())


def test_estimator_without_segmentation_finds_the_same_pose(photos: Path, model_folder: Path) -> None:
    """``segmentation=False`` (the station's loop) gives the same landmarks and no silhouette."""
    from station.pose.blazepose import PoseEstimator

    rgb = read_rgb(photos / "Good_Morning__0.jpg")
    whole = PoseEstimator.from_folder(model_folder, threads=2)
    cut = PoseEstimator.from_folder(model_folder, threads=2, segmentation=False)
    a, b = whole.process(rgb, video=False), cut.process(rgb, video=False)
    assert a is not None and b is not None
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.world, b.world)
    assert whole.silhouette() is not None and cut.silhouette() is None


def test_tracking_without_flatbuffers_loads_the_whole_model(model_folder: Path, monkeypatch, caplog) -> None:
    """The cut needs flatbuffers (an ai-edge-litert dependency); a broken install still tracks,
    with the whole model, and says so."""
    import sys

    from station.pose.landmarker import SEGMENTATION_SHAPE, load_model

    monkeypatch.setitem(sys.modules, "flatbuffers", None)  # `import flatbuffers` now fails
    model, _ = load_model(model_folder / LANDMARKER.name, 1, segmentation=False)
    assert SEGMENTATION_SHAPE in {tuple(d["shape"]) for d in model.get_output_details()}
    assert "tracking with the whole landmark model" in caplog.text


def test_calibration_set_is_complete_and_verified() -> None:
    photos, crops = calibset.read_manifest(calibset.DEFAULT_FOLDER)
    assert calibset.check_photos(calibset.DEFAULT_FOLDER, photos) == []
    kinds = {c.kind for c in crops}
    assert kinds == {"detect", "track1", "track2", "shifted", "background", "video"}
    assert {c.photo for c in crops} == set(photos)
    # Crops without a person are what teaches the pose flag its low end: keep a good share.
    assert sum(c.flag < 0.5 for c in crops) >= len(crops) // 4
    assert len(crops) <= 450  # the build stays bounded on a 2-core machine (about a minute)
    # Real video frames (issue 18), each a frame of a video file in the set, in frame order.
    video = [c for c in crops if c.kind == "video"]
    assert len(video) >= 30 and all(c.frame is not None and c.photo.endswith(".mp4") for c in video)
    assert [c.frame for c in video] == sorted(c.frame for c in video)
    _, videos = calibset.read_sources(calibset.DEFAULT_FOLDER)
    assert set(videos) == {c.photo for c in video} and all(v["licence"] for v in videos.values())


def test_calibration_crops_are_the_engines_own_inputs() -> None:
    from station.camera.files import video_frames
    from station.pose.landmarker import input_tensor, warp_roi

    _, crops = calibset.read_manifest(calibset.DEFAULT_FOLDER)
    first = next(calibset.inputs(calibset.DEFAULT_FOLDER, crops[:1]))
    assert first.shape == (1, 256, 256, 3) and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 1.0
    # A video's crops are cut from the frames they name (read in one pass, not one by one).
    video = [c for c in crops if c.kind == "video"][-3:]
    frames = {f.index: f.rgb for f in video_frames(calibset.DEFAULT_FOLDER / video[0].photo)}
    for crop, got in zip(video, calibset.inputs(calibset.DEFAULT_FOLDER, video), strict=True):
        np.testing.assert_array_equal(got, input_tensor(warp_roi(frames[crop.frame], crop.roi)))


def test_recipe_rules_match_exactly_their_ops(folded: bytes) -> None:
    """A float op's rule must catch that op alone: names share long prefixes (``conv2d_1`` and
    ``conv2d_10``), and the quantizer matches the scope ``<output tensor name>;``."""
    import re

    from station.int8 import quantize

    scopes = [name + ";" for _, name in rewrite.op_summary(folded)]
    for name in (scopes[3][:-1], scopes[-5][:-1]):
        hits = [s for s in scopes if re.search(quantize.scope_regex(name), s)]
        assert hits == [name + ";"]
    rules = quantize.recipe(float_ops=("a",))
    assert rules[0]["regex"] == ".*" and rules[0]["algorithm_key"] == "min_max_uniform_quantize"
    assert rules[1] == {"regex": quantize.scope_regex("a"), "operation": "*", "algorithm_key": "no_quantize"}
    # The model's input and outputs stay float32 whatever else is int8.
    assert [r["operation"] for r in rules[-2:]] == ["INPUT", "OUTPUT"]
    assert all(r["algorithm_key"] == "no_quantize" for r in rules[-2:])
    only = quantize.recipe(int8_ops=("a",))
    assert only[0]["algorithm_key"] == "no_quantize" and only[1]["regex"] == quantize.scope_regex("a")


def test_float_ops_are_the_measured_blocks(folded: bytes) -> None:
    from station.int8 import quantize

    names = quantize.float_op_names(folded)
    ops = rewrite.op_summary(folded)
    assert len(names) == 94  # ops 0-26, 71-95 and 98-139 (sensitivity.md)
    assert ops[1] == ("CONV_2D", names[1]) and ops[2] == ("DEPTHWISE_CONV_2D", names[2])
    assert ops[27][1] not in names and ops[96][1] not in names  # 16 px encoder, 8 px regression: int8
    assert names[50:52] == ("Identity_2", "Identity_3")  # the silhouette's and the heatmap's heads
    assert names[-1] == "Identity_1"  # the pose flag's head ends the list


def test_int8_model_is_optional_and_says_how_to_get_it(tmp_path: Path, model_folder: Path) -> None:
    import shutil

    from station.pose import models

    for m in models.MODELS:
        shutil.copyfile(model_folder / m.name, tmp_path / m.name)
    assert models.require(tmp_path)[1].name == LANDMARKER.name  # the float model needs nothing more
    with pytest.raises(models.ModelError, match="station models quantize"):
        models.require(tmp_path, "full_int8")
    (tmp_path / models.LANDMARKER_INT8.name).write_bytes(b"not a model")
    with pytest.raises(models.ModelError, match="corrupt"):
        models.require(tmp_path, "full_int8")
    with pytest.raises(models.ModelError, match="unknown pose model"):
        models.require(tmp_path, "lite")


def test_quantize_without_the_quantizer_says_how_to_install(tmp_path: Path, capsys, monkeypatch) -> None:
    import sys

    from station.cli.main import main

    monkeypatch.setitem(sys.modules, "ai_edge_quantizer", None)  # as on a machine without the extra
    assert main(["models", "quantize", "--data", str(tmp_path)]) == 3
    assert "pip install -e '.[quantize]'" in capsys.readouterr().err


# --- the built int8 model, where it is installed (`station models quantize`)

@pytest.fixture(scope="module")
def int8_estimator(model_folder: Path):
    from station.pose.blazepose import PoseEstimator
    from station.pose.models import check_int8

    if check_int8(model_folder) is not None:
        # Not a CI failure: the int8 model is optional and built on demand.
        missing(f"no verified int8 landmark model in {model_folder}; run `station models quantize`")
    return PoseEstimator.from_folder(model_folder, threads=2, pose_model="full_int8")


def test_int8_tf_truth(photos: Path, estimator, int8_estimator) -> None:
    """Issue 18: still at least 33 of 34 COCO keypoints within TensorFlow's 21 px. The one that
    misses, for the float engine and MediaPipe too, is the crossed wrist of tf_image2, where the
    truth itself is a MoveNet guess (float 47-48 px off, MediaPipe 49.2): there the int8 engine
    may be off by at most the float engine's error plus 1 % of the photo's diagonal (the scale
    of issue 18's agreement figures)."""
    from station.int8.gate import TF_IMAGES, TF_TOLERANCE_PX, tf_truth
    from station.pose.landmarks import COCO_TO_BLAZEPOSE

    truth, within = tf_truth(photos), 0
    for name in TF_IMAGES:
        rgb = read_rgb(photos / name)
        pose, reference = int8_estimator.process(rgb, video=False), estimator.process(rgb, video=False)
        assert pose is not None and reference is not None, name
        err = np.abs(pose.xy[list(COCO_TO_BLAZEPOSE)] - truth[name]).max(axis=1)
        float_err = np.abs(reference.xy[list(COCO_TO_BLAZEPOSE)] - truth[name]).max(axis=1)
        within += int((err <= TF_TOLERANCE_PX).sum())
        limit = np.maximum(float_err, TF_TOLERANCE_PX) + 0.01 * np.hypot(*rgb.shape[:2])
        assert (err <= limit).all(), f"{name}: {np.flatnonzero(err > limit)} off, worst {err.max():.1f} px"
    assert within >= 33, f"only {within}/34 within {TF_TOLERANCE_PX} px"


def test_int8_passes_the_float_engines_accuracy_tests(photos: Path, int8_estimator) -> None:
    for name in pose_checks.SIDE_VIEW_PHOTOS:
        pose_checks.side_view_skeleton_is_plausible(photos, int8_estimator, name)
    pose_checks.nobody_in_a_blank_frame(int8_estimator)


def test_int8_tracking_of_a_still_photo_settles(photos: Path, int8_estimator) -> None:
    pose_checks.tracking_skips_the_detector_and_smooths(photos, int8_estimator)


def _unsettled_frames(estimator, photos: Path, seconds: float = 6.0) -> int:
    """Every fixture photo tracked as a still video: the frames after the first 2 s in which a
    visible landmark (visibility > 0.5) moves more than 1 px."""
    count = 0
    for path in sorted(photos.glob("*.*")):
        if path.suffix in PHOTO_TYPES:
            rgb = read_rgb(path)
            estimator.reset()
            poses = [estimator.process(rgb, t=i / 30) for i in range(int(seconds * 30))]
            assert all(p is not None for p in poses), path.name
            for a, b in itertools.pairwise(poses[60:]):
                count += int((np.hypot(*(a.xy - b.xy).T)[b.visibility > 0.5] > 1.0).any())
    return count


def test_int8_still_photos_settle_because_the_roi_holds(photos: Path, estimator, int8_estimator) -> None:
    """Issue 18: a still person tracked with the int8 model comes to rest about as the float
    engine does: over seconds 2-6 of every fixture photo, frames with a visible landmark moving
    more than 1 px at most twice the float engine's count (measured 38 against 29 of 952).
    Without the ROI's hold it does not (measured 319): the int8 model's answer moves by about its
    own error for any change of its crop, however small, and in tracking that answer sets the
    next crop. Both engines still step now and then (the auxiliary landmarks' slow filter drifts
    over the hold, or MediaPipe's ROI moves): a still photo is not a still answer for either."""
    reference = _unsettled_frames(estimator, photos)
    assert int8_estimator.hold_roi  # the int8 engine's default
    held = _unsettled_frames(int8_estimator, photos)
    int8_estimator.hold_roi = False
    try:
        free = _unsettled_frames(int8_estimator, photos)
    finally:
        int8_estimator.hold_roi = True
    assert held <= 2 * max(reference, 5), (held, reference)
    assert free > 4 * held, (free, held)  # the shortfall the hold removes: the check above can fail


@pytest.fixture(scope="module")
def let_go_frames(photos: Path, model_folder: Path, int8_estimator) -> dict[tuple[str, int], tuple]:
    """For every fixture photo of a person sliding out of the frame, right and left: (frame the
    track is dropped, first frame without a pose) with the float engine, then the int8 engine,
    both as the station runs them (``benchmarks/int8_presence.py``'s clips, 16 here)."""
    from benchmarks.int8_presence import let_go, slide_out
    from station.pose.blazepose import PoseEstimator

    full = PoseEstimator.from_folder(model_folder, threads=2, segmentation=False)
    out = {}
    for path in sorted(photos.glob("*.*")):
        if path.suffix in PHOTO_TYPES:
            for direction in (1, -1):
                frames = slide_out(read_rgb(path), direction)
                out[path.name, direction] = (let_go(full, frames), let_go(int8_estimator, frames))
    assert all(a is not None and b is not None for a, b in out.values()), "a still person was not tracked"
    return out


def test_int8_lets_every_leaving_person_go_within_two_frames_of_float(let_go_frames) -> None:
    """Presence: the int8 engine lets every person sliding out of the frame go (no pose in the
    empty frames at the end), never more than two frames (67 ms) after the float engine.
    A hold that never let go, or a pose flag that stayed high without a person, fails here."""
    from benchmarks.int8_presence import LEAVE, STILL

    late = {k: (a[1], b[1]) for k, (a, b) in let_go_frames.items() if b[1] > min(a[1] + 2, STILL + LEAVE)}
    assert late == {}, f"int8 let go late (float frame, int8 frame): {late}"


def test_int8_lets_a_leaving_person_go_as_fast_as_float_on_average(let_go_frames) -> None:
    """Issue 18's presence gate: the int8 engine drops a leaving person's track no later than the
    float engine, on average over the clips (measured: none later, 3 a frame earlier; the second
    pass's model: 2 of 16 a frame later, 3 earlier). Not clip by clip: the pose flag falls
    through 0.5 on frames where any change of the input moves it across, the float engine's too
    (a camera's sensor noise moves the float engine's own let-go later in 14 % of 239 clips,
    ``benchmarks/int8_presence.py``)."""
    diffs = {k: b[0] - a[0] for k, (a, b) in let_go_frames.items()}
    assert sum(diffs.values()) <= 0, f"int8 dropped the track later on average: {diffs}"


@pytest.mark.parametrize(("start", "end", "faults"), REAL_MOVEMENTS)
def test_int8_coaches_the_real_movements_alike(photos: Path, int8_estimator, start, end, faults) -> None:
    pose_checks.real_movement_is_judged_like_a_coach_would(photos, int8_estimator, start, end, faults)


def test_int8_agrees_with_the_float_engine(photos: Path, estimator, int8_estimator) -> None:
    """Median over the fixture photos' landmarks within 0.3 % of the image diagonal (issue 18)."""
    dists = []
    for path in sorted(photos.glob("*.*")):
        if path.suffix not in (".jpg", ".jpeg", ".png"):
            continue
        rgb = read_rgb(path)
        a, b = estimator.process(rgb, video=False), int8_estimator.process(rgb, video=False)
        assert (a is None) == (b is None), path.name
        h, w = rgb.shape[:2]
        dists.append(np.hypot(*(a.xy - b.xy).T) / np.hypot(w, h) * 100)
    pooled = np.concatenate(dists)
    assert len(dists) == 8
    assert np.median(pooled) <= 0.3, f"median {np.median(pooled):.3f} % of the diagonal"
    assert np.percentile(pooled, 95) <= 2.0, f"p95 {np.percentile(pooled, 95):.2f} %"


# --- a build whose bytes are not the recorded ones: the agreement gate (issue 23)

def _gate_folder(tmp_path: Path, model_folder: Path) -> Path:
    import shutil

    from station.pose import models

    folder = tmp_path / "models"
    folder.mkdir()
    for m in models.MODELS:
        shutil.copyfile(model_folder / m.name, folder / m.name)
    return folder


def _quantize_with(monkeypatch, data: bytes, *args: str) -> int:
    """``station models quantize`` with the build step answering ``data`` (a real build takes a
    minute; what is judged here is what happens to its bytes)."""
    from station.cli.main import main
    from station.int8 import quantize

    monkeypatch.setattr(quantize, "build", lambda *a, **k: data)
    return main(["models", "quantize", *args])


def test_an_equivalent_build_with_other_bytes_passes_the_gate_and_is_installed(
        tmp_path: Path, model_folder: Path, photos: Path, monkeypatch, capsys) -> None:
    """As a build on other library versions would: different bytes, the same model. Trailing bytes
    after the flatbuffer and its weights change the sha256 and nothing the interpreter reads."""
    import json

    from station.pose import models
    from station.pose.blazepose import PoseEstimator

    other = _int8_bytes(model_folder) + b"\0" * 16
    folder = _gate_folder(tmp_path, model_folder)
    monkeypatch.setenv("STATION_MODELS", str(folder))
    assert _quantize_with(monkeypatch, other, "--photos", str(photos)) == 0
    err = capsys.readouterr().err
    assert "not the recorded" in err and "accepted" in err
    assert "median" in err and "TF truth: 33 of 34" in err and "coaching differences: 0" in err
    assert models.check_int8(folder) is None  # verified through its accepted record
    record = json.loads(models.accepted_record(folder).read_text())
    assert record["gate"] == "passed" and record["median_pct"] <= 0.3 and record["tf_within"] >= 33
    assert "opencv-python-headless" in record["versions"]
    assert PoseEstimator.from_folder(folder, pose_model="full_int8") is not None
    # The record vouches for those bytes only: a changed file is corrupt again.
    (folder / models.LANDMARKER_INT8.name).write_bytes(other + b"\0")
    assert models.check_int8(folder).reason == "corrupt"


def test_a_build_that_disagrees_is_refused_with_its_figures(
        tmp_path: Path, model_folder: Path, photos: Path, monkeypatch, capsys) -> None:
    """A build whose weights went wrong (the last 512 KiB of stored weights garbled) loads and
    runs, but the gate refuses it and installs nothing."""
    from station.pose import models

    data = bytearray(_int8_bytes(model_folder))
    tail = np.frombuffer(bytes(data[-(512 << 10):]), np.uint8) ^ np.uint8(0x5A)
    data[-(512 << 10):] = tail.tobytes()
    folder = _gate_folder(tmp_path, model_folder)
    monkeypatch.setenv("STATION_MODELS", str(folder))
    assert _quantize_with(monkeypatch, bytes(data), "--photos", str(photos)) == 3
    err = capsys.readouterr().err
    assert "FAIL" in err and "refused" in err and "median" in err
    assert models.check_int8(folder).reason == "missing"
    assert not models.accepted_record(folder).exists()


def test_a_build_with_other_bytes_and_no_photos_to_judge_it_is_refused(
        tmp_path: Path, model_folder: Path, monkeypatch, capsys) -> None:
    from station.pose import models

    folder = _gate_folder(tmp_path, model_folder)
    monkeypatch.setenv("STATION_MODELS", str(folder))
    other = _int8_bytes(model_folder) + b"\0" * 16
    assert _quantize_with(monkeypatch, other, "--photos", str(tmp_path / "nowhere")) == 3
    assert "--photos DIR" in capsys.readouterr().err
    assert models.check_int8(folder).reason == "missing"
    # --force installs it unchecked, and says so in its record.
    assert _quantize_with(monkeypatch, other, "--force") == 0
    assert models.check_int8(folder) is None
    assert '"forced": true' in models.accepted_record(folder).read_text()
