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
    assert signatures == {rewrite.SIGNATURE_KEY: {
        "inputs": ["input_1"], "outputs": ["Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"]}}


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
    photos, crops = calibset.read_manifest(calibset.DEFAULT_FOLDER)
    first = next(calibset.inputs(calibset.DEFAULT_FOLDER, crops[:1]))
    assert first.shape == (1, 256, 256, 3) and first.dtype == np.float32
    assert 0.0 <= first.min() and first.max() <= 1.0
