"""The int8 landmark model's build steps: the model rewrite, the calibration set, the recipe.

The rewrite tests need the float model (``station models fetch``); the build test needs
ai-edge-quantizer (``pip install -e .[quantize]``) and is in ``benchmarks/int8_compare.py``
and ``station models quantize`` instead, because calibration takes about a minute.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from station.pose import calibset, rewrite
from station.pose.models import LANDMARKER
from tests.conftest import read_rgb
from tests.test_coach_real import REAL_MOVEMENTS


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


def test_calibration_set_is_complete_and_verified() -> None:
    photos, crops = calibset.read_manifest(calibset.DEFAULT_FOLDER)
    assert calibset.check_photos(calibset.DEFAULT_FOLDER, photos) == []
    kinds = {c.kind for c in crops}
    assert kinds == {"detect", "track1", "track2", "shifted", "background"}
    assert {c.photo for c in crops} == set(photos)
    # Crops without a person are what teaches the pose flag its low end: keep a good share.
    assert sum(c.flag < 0.5 for c in crops) >= len(crops) // 4
    assert len(crops) <= 400  # the build stays bounded on a 2-core machine


def test_calibration_crops_are_the_engines_own_inputs() -> None:
    _, crops = calibset.read_manifest(calibset.DEFAULT_FOLDER)
    first = next(calibset.inputs(calibset.DEFAULT_FOLDER, crops[:1]))
    assert first.shape == (1, 256, 256, 3) and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 1.0


def test_recipe_rules_match_exactly_their_ops(folded: bytes) -> None:
    """A float op's rule must catch that op alone: names share long prefixes (``conv2d_1`` and
    ``conv2d_10``), and the quantizer matches the scope ``<output tensor name>;``."""
    import re

    from station.pose import quantize

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
    from station.pose import quantize

    names = quantize.float_op_names(folded)
    ops = rewrite.op_summary(folded)
    assert len(names) == 71  # ops 0-3, 71-95 and 98-139 (sensitivity.md)
    assert ops[1] == ("CONV_2D", names[1]) and ops[2] == ("DEPTHWISE_CONV_2D", names[2])
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


def test_quantize_without_the_quantizer_says_how_to_install(tmp_path: Path, capsys) -> None:
    import importlib.util

    from station.cli import main

    if importlib.util.find_spec("ai_edge_quantizer") is not None:
        pytest.skip("ai-edge-quantizer is installed here: the message is for machines without it")
    assert main(["models", "quantize", "--data", str(tmp_path)]) == 3
    assert "pip install -e '.[quantize]'" in capsys.readouterr().err


# --- the built int8 model, where it is installed (`station models quantize`)

@pytest.fixture(scope="module")
def int8_estimator(model_folder: Path):
    from station.pose.blazepose import PoseEstimator
    from station.pose.models import check_int8

    if check_int8(model_folder) is not None:
        # Not a CI failure: the int8 model is optional and built on demand.
        pytest.skip(f"no verified int8 landmark model in {model_folder}; run `station models quantize`")
    return PoseEstimator.from_folder(model_folder, threads=2, pose_model="full_int8")


def test_int8_tf_truth(photos: Path, int8_estimator) -> None:
    """Issue 18: still at least 33 of 34 COCO keypoints within TensorFlow's 21 px. The one that
    misses is the crossed wrist of tf_image2, where the truth itself is a MoveNet guess: the
    float engine's 48 px limit is missed by 0.1 px (48.1), so the limit here is MediaPipe's own
    error on that wrist, 49.2 px (README, "Measured figures")."""
    import tests.test_pose_accuracy as accuracy
    from station.pose.landmarks import COCO_TO_BLAZEPOSE

    truth, within, worst = accuracy._truth(photos), 0, 0.0
    for name in accuracy.TF_IMAGES:
        pose = int8_estimator.process(read_rgb(photos / name), video=False)
        assert pose is not None, name
        err = np.abs(pose.xy[list(COCO_TO_BLAZEPOSE)] - truth[name]).max(axis=1)
        within += int((err <= accuracy.TF_TOLERANCE_PX).sum())
        worst = max(worst, float(err.max()))
    assert within >= 33, f"only {within}/34 within {accuracy.TF_TOLERANCE_PX} px"
    assert worst <= 49.2, f"worst keypoint {worst:.1f} px off"


def test_int8_passes_the_float_engines_accuracy_tests(photos: Path, int8_estimator) -> None:
    import tests.test_pose_accuracy as accuracy

    for name in ("Good_Morning__0.jpg", "Box_Squat__1.jpg", "Standing_Toe_Touches__1.jpg"):
        accuracy.test_side_view_skeleton_is_plausible(photos, int8_estimator, name)
    accuracy.test_nobody_in_a_blank_frame(int8_estimator)


@pytest.mark.xfail(strict=True, reason="known shortfall (issue 18, README): a still photo tracked as "
                   "video does not settle with the int8 model (frame-to-frame moves median 0.22 px, "
                   "largest 42.9 px; float 0.03 and 6.1 px: benchmarks/int8_compare.py)")
def test_int8_tracking_of_a_still_photo_settles(photos: Path, int8_estimator) -> None:
    import tests.test_pose_accuracy as accuracy

    accuracy.test_tracking_skips_the_detector_and_smooths(photos, int8_estimator)


@pytest.mark.parametrize(("start", "end", "faults"), REAL_MOVEMENTS)
def test_int8_coaches_the_real_movements_alike(photos: Path, int8_estimator, start, end, faults) -> None:
    import tests.test_coach_real as real

    real.test_real_movements_are_judged_like_a_coach_would(photos, int8_estimator, start, end, faults)


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
