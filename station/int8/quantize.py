"""``station models quantize``: the mixed int8 landmark model, built from the verified float one.

Steps (each deterministic, so the same inputs give the same bytes, checked against
:data:`station.pose.models.LANDMARKER_INT8`):

1. :mod:`station.pose.rewrite`: fold the float16 weights into float32 constants, add a
   signature (the quantizer calibrates through a signature runner).
2. Calibrate on the repository's calibration set (:mod:`station.int8.calibset`): 433 of the
   engine's own ROI crops of real photos and video frames, with and without a person.
3. Quantize with ai-edge-quantizer: int8 weights (per channel) and int8 activations everywhere
   except the ops in :data:`FLOAT_OP_RANGES`, which stay float. Those were chosen by measured
   sensitivity (``benchmarks/int8_sensitivity.py``; the method and figures are in
   ``calibration/landmark/sensitivity.md``), not by guess.

ai-edge-quantizer is needed here only (``pip install -e .[quantize]``); the Pi runs the result
with ai-edge-litert alone.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from station.int8 import calibset
from station.pose import rewrite
from station.pose.models import LANDMARKER, LANDMARKER_INT8, ModelError, accepted_record, require

INSTALL_HINT = (
    "the int8 build needs ai-edge-quantizer (build time only; the Pi does not): "
    "pip install -e '.[quantize]' (or pip install ai-edge-quantizer)"
)

# Ops that stay float, as [start, end) ranges of op indices in the folded model (its op order is
# fixed: the float model is sha256-checked and the fold keeps the order). Chosen by measured
# sensitivity (calibration/landmark/sensitivity.md). First pass: the stem (ops 0-3) and the
# regression branch's 4 px and 2 px stages with the three heads (ops 98-139) bring the raw
# landmarks within 0.2 % of the crop; the heatmap's path of the decoder (ops 71-76, the upsampling
# to 64x64, and 95, the heatmap head) too, because the engine refines landmarks from the heatmap.
# Third pass: the station tracks with the model cut down to what it reads, without the
# segmentation decoder (ops 77-94), which freed about 1.8 ms a frame; the encoder's 128, 64 and
# 32 px stages (ops 0-26) were the blocks that bought the most for that time: on held-out crops
# the pose flag crossing 0.5 against the float model 12 times in 400 instead of 28, the
# landmarks' move under a camera's sensor noise p95 0.66 % of the crop instead of 1.03 % (float
# 0.08 % median), for 0.4 ms of the 1.9 ms int8 saves. The segmentation decoder is float again:
# only `station analyze`'s silhouette runs it now, and int8 there had turned a labelled neutral
# back (Box_Squat__1) rounded once the encoder above it changed.
FLOAT_OP_RANGES: tuple[tuple[int, int], ...] = ((0, 27), (71, 96), (98, 140))


def float_op_names(model: bytes, ranges: tuple[tuple[int, int], ...] = FLOAT_OP_RANGES) -> tuple[str, ...]:
    """The output tensor names (what a recipe matches) of the ops in ``ranges``."""
    names = [name for _, name in rewrite.op_summary(model)]
    return tuple(n for lo, hi in ranges for n in names[lo:hi])

# int8 activations (asymmetric, per tensor), int8 weights (symmetric, per output channel): the
# layout XNNPACK's fast int8 kernels take (ai-edge-quantizer's static_wi8_ai8 recipe).
_INT8_RULE: dict[str, Any] = {
    "regex": ".*",
    "operation": "*",
    "algorithm_key": "min_max_uniform_quantize",
    "op_config": {
        "activation_tensor_config": {"num_bits": 8, "symmetric": False, "granularity": "TENSORWISE",
                                     "dtype": "INT"},
        "weight_tensor_config": {"num_bits": 8, "symmetric": True, "granularity": "CHANNELWISE",
                                 "dtype": "INT"},
        "compute_precision": "INTEGER",
        "explicit_dequantize": False,
        "skip_checks": False,
        "min_weight_elements": 0,
    },
}


def scope_regex(tensor_name: str) -> str:
    """The recipe regex that matches exactly the op whose output tensor is ``tensor_name``."""
    return "^" + re.escape(tensor_name) + ";$"


# The model's input and outputs stay float32 (a QUANTIZE after the input, a DEQUANTIZE before
# each output): the landmarker fills and reads them as it does the float model's.
_FLOAT_IO = [{"regex": ".*", "operation": io, "algorithm_key": "no_quantize"} for io in ("INPUT", "OUTPUT")]


def recipe(float_ops: tuple[str, ...] = (), int8_ops: tuple[str, ...] | None = None) -> list[dict]:
    """The quantization recipe: every op int8 except ``float_ops``; or, with ``int8_ops``, every
    op float except those (what the sensitivity sweep measures, one op at a time). The last
    matching rule wins (ai-edge-quantizer's RecipeManager)."""
    keep_float = {"operation": "*", "algorithm_key": "no_quantize"}
    if int8_ops is not None:
        rules = [{"regex": ".*", **keep_float}]
        rules += [{**copy.deepcopy(_INT8_RULE), "regex": scope_regex(n)} for n in int8_ops]
    else:
        rules = [copy.deepcopy(_INT8_RULE)] + [{"regex": scope_regex(n), **keep_float} for n in float_ops]
    return rules + copy.deepcopy(_FLOAT_IO)


def float32_model(float_model: bytes) -> bytes:
    """Step 1: the released model with float32 weights and a signature."""
    return rewrite.add_signature(rewrite.fold_dequantize(float_model))


def _quantizer_module() -> Any:
    try:
        from ai_edge_quantizer import quantizer
    except ImportError:
        raise ModelError(INSTALL_HINT) from None
    return quantizer


def _quantizer(model: bytes, rules: list[dict]) -> Any:
    return _quantizer_module().Quantizer(model, rules)


def calibrate(model: bytes, folder: Path = calibset.DEFAULT_FOLDER, threads: int = 2) -> dict:
    """Step 2: the min/max of every tensor over the calibration set (the quantizer's running
    average of each crop's min and max, in the manifest's order)."""
    photos, crops = calibset.read_manifest(folder)
    bad = calibset.check_photos(folder, photos)
    if bad:
        raise ModelError(f"calibration photos missing or changed in {folder}: {', '.join(bad[:3])}")
    data = [{"input_1": x} for x in calibset.inputs(folder, crops)]
    return _quantizer(model, recipe()).calibrate({rewrite.SIGNATURE_KEY: data}, num_threads=threads)


def quantize(model: bytes, qsvs: dict, rules: list[dict] | None = None) -> bytes:
    """Step 3: the mixed int8 model from the float32 model and its calibration."""
    q = _quantizer(model, recipe(float_op_names(model)) if rules is None else rules)
    return bytes(q.quantize(qsvs, enable_progress_report=False).quantized_model)


def build(models: Path, calibration: Path = calibset.DEFAULT_FOLDER,
          progress: Callable[[str], None] = lambda _: None) -> bytes:
    """The int8 landmark model's bytes, from the verified float model in ``models``."""
    _quantizer_module()  # say how to install it before any work
    _, float_path = require(models)
    fp32 = float32_model(float_path.read_bytes())
    progress(f"{LANDMARKER.name}: weights folded to float32, signature added")
    progress(f"calibrating on {calibration} (about a minute on 2 cores)")
    qsvs = calibrate(fp32, calibration)
    data = quantize(fp32, qsvs)
    progress(f"quantized: {len(data) / 1e6:.1f} MB, {len(float_op_names(fp32))} of "
             f"{len(rewrite.op_summary(fp32))} ops kept float")
    return data


def install(models: Path, data: bytes, accepted: dict[str, Any] | None = None) -> str:
    """Write the built model beside the float ones; returns its sha256. Bytes other than the
    recorded ones need ``accepted``: what vouches for them (the agreement gate's figures, or that
    the build was forced), kept beside the model so that :func:`~station.pose.models.check_int8`
    verifies it. Raises :class:`ModelError` for other bytes without it."""
    import json

    digest = hashlib.sha256(data).hexdigest()
    record = accepted_record(models)
    if digest != LANDMARKER_INT8.sha256 and accepted is None:
        raise ModelError(
            f"the built int8 model has sha256 {digest}, the recorded one is {LANDMARKER_INT8.sha256} "
            "(built with the versions in requirements/quantize.txt); it must pass the agreement gate first"
        )
    _write_atomically(models, LANDMARKER_INT8.name, data)
    if digest == LANDMARKER_INT8.sha256:
        record.unlink(missing_ok=True)
    else:
        assert accepted is not None
        text = json.dumps({"sha256": digest, **accepted}, indent=2) + "\n"
        _write_atomically(models, record.name, text.encode())
    return digest


def _write_atomically(folder: Path, name: str, data: bytes) -> None:
    """Write beside the target and rename: a crash never leaves half a file behind."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, folder / name)
