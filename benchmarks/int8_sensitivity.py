"""Which ops of the landmark model stay float: measured, one op at a time.

    PYTHONPATH=. .venv-q/bin/python benchmarks/int8_sensitivity.py /tmp/fedb [--photos 80]

(needs the quantize extra; ``/tmp/fedb`` is a checkout of yuhonas/free-exercise-db.)

Method:

1. Calibrate the float32 model once on the repository's calibration set (as the build does).
2. Selection crops: the float engine's first tracking ROI and its sideways-shifted copy of the
   first ``--photos`` held-out photos (``calibration/landmark/eval.json``; never calibrated on).
3. For each CONV_2D and DEPTHWISE_CONV_2D op (96 of them; they hold all the MACs): a model with
   only that op int8 and everything else float. Its sensitivity is the mean distance of the 35
   tracked landmarks (raw regression output) from the float model's, in % of the crop diagonal,
   over the crops with a person.
4. Rank the ops by sensitivity; for k most sensitive kept float (everything else int8), print
   the agreement, the pose flag's flips and the invoke time.
5. ``--blocks``: the same for blocks of consecutive ops (convs, adds and pads together) by
   resolution, alone and in combinations; ``--blocks B1 B2 ...`` measures one combination.

6. ``--noise-pass``: with the segmentation decoder cut out of the tracking model (the station
   never reads the mask), the time left under the speed target could buy more float. For the
   chosen set plus each further block (or blocks joined by ``+``): agreement, the landmarks'
   move under a camera's sensor noise (sigma 2 grey levels), and the pose flag near its 0.5
   limit (its flips, and its logit's distance from the float model's, over crops of each held-out
   person shifted sideways by 0.4-0.85 of the ROI), beside the invoke time of the tracking model.

The figures go to ``calibration/landmark/sensitivity.json``, the reading of them to
``sensitivity.md`` there; ``station/int8/quantize.py``'s FLOAT_OP_RANGES are the blocks chosen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from station.camera.files import read_image
from station.config.paths import models_dir
from station.int8 import calibset, quantize
from station.pose import rewrite
from station.pose.blazepose import PoseEstimator
from station.pose.landmarker import input_tensor, warp_roi
from station.pose.models import LANDMARKER

OUT = calibset.DEFAULT_FOLDER / "sensitivity.json"
KEEP_FLOAT = (0, 2, 4, 6, 8, 10, 12, 16, 20, 24, 32)


# Consecutive ops by the resolution they work at (op indices of the folded model, printed by
# rewrite.op_summary): the encoder 128 -> 8 px, the heatmap/segmentation decoder, the
# regression branch 8 -> 2 px, and the three heads.
BLOCKS = {
    "stem": (0, 4), "enc128": (0, 7), "enc64": (7, 17), "enc32": (17, 27), "enc16": (27, 52),
    "enc8": (52, 71),
    "decoder": (71, 96), "reg8": (96, 98), "reg4": (98, 114), "reg2": (114, 133), "heads": (133, 140),
}


def block_sweep(fp32: bytes, qsvs: dict, xs: np.ndarray, ref: tuple, mac: dict[str, int],
                combos: list[list[str]] | None = None) -> list[dict]:
    """Step 5: each block float (everything else int8), then greedily the blocks that buy the
    most agreement until the median is within ``TARGET`` (all figures on the selection crops)."""
    names = [n for _, n in rewrite.op_summary(fp32)]
    rows = []
    for blocks in combos or [[b] for b in BLOCKS if b != "stem"] + COMBOS:
        kept = tuple(n for b in blocks for n in names[slice(*BLOCKS[b])])
        model = quantize.quantize(fp32, qsvs, quantize.recipe(float_ops=kept))
        rows.append({"float": blocks, **score(model, xs, ref), "invoke_ms": invoke_ms(model),
                     "float_invoke_ms": invoke_ms(fp32),
                     "float_mac_share": sum(mac.get(n, 0) for n in kept) / sum(mac.values())})
        print(json.dumps(rows[-1]), flush=True)
    return rows


# Combinations of the blocks that help most alone (step 5's first rows), cheapest first.
COMBOS = [["enc128", "reg2", "heads"], ["enc128", "reg4", "reg2", "heads"],
          ["enc128", "reg8", "reg4", "reg2", "heads"], ["enc128", "enc64", "reg4", "reg2", "heads"],
          ["enc128", "decoder", "reg4", "reg2", "heads"]]


def macs(model: bytes) -> dict[str, int]:
    """Multiply-accumulates of each CONV_2D and DEPTHWISE_CONV_2D op, by output tensor name."""
    tree = rewrite.read(model)
    graph = tree.subgraphs[0]
    out = {}
    for (op, name), node in zip(rewrite.op_summary(model), graph.operators, strict=True):
        if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            _, oh, ow, oc = graph.tensors[node.outputs[0]].shape
            kernel = graph.tensors[node.inputs[1]].shape  # OHWI (conv) or 1HWO (depthwise)
            per_output = kernel[1] * kernel[2] * (kernel[3] if op == "CONV_2D" else 1)
            out[name] = int(oh * ow * oc * per_output)
    return out


def held_out_crops(checkout: Path, photos: int,
                   kinds: tuple[str, ...]) -> Iterator[tuple[np.ndarray, calibset.Crop]]:
    """(photo, crop) for the crops of these kinds the float engine cuts from the first ``photos``
    held-out photos, photo by photo in ``crops_of_photo``'s order."""
    est = PoseEstimator.from_folder(models_dir(None), 2)
    for name in calibset.held_out_photos()[:photos]:
        rgb = read_image(checkout / name)
        yield from ((rgb, c) for c in calibset.crops_of_photo(est, rgb, name) if c.kind in kinds)


def selection_crops(checkout: Path, photos: int) -> np.ndarray:
    """(2 * photos, 256, 256, 3): for each photo its track1 crop, then its shifted crop."""
    return np.stack([input_tensor(warp_roi(rgb, c.roi))[0]
                     for rgb, c in held_out_crops(checkout, photos, ("track1", "shifted"))])


def outputs(model: bytes, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw (x, y) of the 39 landmarks and the pose flag for each crop."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model, num_threads=2)
    it.allocate_tensors()
    by_shape = {tuple(d["shape"]): d["index"] for d in it.get_output_details()}
    xy, flag = [], []
    for x in xs:
        it.set_tensor(it.get_input_details()[0]["index"], x[None])
        it.invoke()
        xy.append(it.get_tensor(by_shape[(1, 195)]).reshape(39, 5)[:, :2].copy())
        flag.append(float(it.get_tensor(by_shape[(1, 1)])[0, 0]))
    return np.array(xy), np.array(flag)


def invoke_ms(model: bytes, rounds: int = 40) -> float:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model, num_threads=2)
    it.allocate_tensors()
    times = []
    for _ in range(rounds + 5):
        t0 = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times[5:]))


def score(model: bytes, xs: np.ndarray, ref: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    xy, flag = outputs(model, xs)
    d = np.linalg.norm(xy - ref[0], axis=2)[0::2, :35] / (256 * 2**0.5) * 100  # person crops only
    return {"mean": float(d.mean()), "median": float(np.median(d)), "p95": float(np.percentile(d, 95)),
            "flag_max": float(np.abs(flag - ref[1]).max()),
            "flag_flips": int(((flag >= 0.5) != (ref[1] >= 0.5)).sum())}


NOISE_EXTRAS = ("", "enc128", "enc64", "enc32", "enc16", "enc8", "reg8", "enc128+enc64", "enc64+enc32",
                "enc8+reg8", "enc16+enc8+reg8", "enc32+enc16+enc8+reg8", "enc64+enc32+enc16+enc8+reg8")


def noise_crops(checkout: Path, photos: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 6's crops (uint8): each held-out person's tracking crop, the same with sensor noise
    (a fixed seed), and four copies shifted sideways by 0.4-0.85 of the ROI's side."""
    person, shifted = [], []
    for rgb, c in held_out_crops(checkout, photos, ("track1",)):
        person.append(warp_roi(rgb, c.roi))
        shifted += [warp_roi(rgb, replace(c, cx=c.cx + f * c.side).roi) for f in (0.4, 0.55, 0.7, 0.85)]
    rng = np.random.default_rng(0)
    clean = np.stack(person)
    return clean, np.clip(clean + rng.normal(0, 2.0, clean.shape), 0, 255).astype(np.uint8), np.stack(shifted)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def noise_pass(fp32: bytes, qsvs: dict, crops: tuple[np.ndarray, ...],
               extras: tuple[str, ...] = NOISE_EXTRAS) -> list[dict]:
    """Step 6 (see the module's docstring)."""
    from station.pose.landmarker import SEGMENTATION_SHAPE

    names = [n for _, n in rewrite.op_summary(fp32)]
    person, noisy, shifted = (np.stack([input_tensor(c)[0] for c in cs]) for cs in crops)
    ref = [outputs(fp32, xs) for xs in (person, noisy, shifted)]
    diag = 256 * 2**0.5
    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # the 35 tracked landmarks, % of the crop
        return np.linalg.norm(a - b, axis=2)[:, :35] / diag * 100

    rows: list[dict] = [{"float_sensor_noise_move": float(np.median(dist(ref[1][0], ref[0][0])))}]
    print(json.dumps(rows[0]), flush=True)
    for extra in extras:
        blocks = [b for b in extra.split("+") if b]
        kept = quantize.float_op_names(fp32) + tuple(n for b in blocks for n in names[slice(*BLOCKS[b])])
        model = rewrite.without_outputs(quantize.quantize(fp32, qsvs, quantize.recipe(float_ops=kept)),
                                        {SEGMENTATION_SHAPE})
        got = [outputs(model, xs) for xs in (person, noisy, shifted)]
        flag, flag_ref = np.concatenate([got[0][1], got[2][1]]), np.concatenate([ref[0][1], ref[2][1]])
        near = (flag_ref > 0.05) & (flag_ref < 0.95)
        flag_gap = abs(logit(flag[near]) - logit(flag_ref[near]))
        moved = dist(got[1][0], got[0][0])
        rows.append({"float": ["chosen", *blocks], "median": float(np.median(dist(got[0][0], ref[0][0]))),
                     "sensor_noise_move": float(np.median(moved)),
                     "sensor_noise_move_p95": float(np.percentile(moved, 95)),
                     "flag_flips": int(((flag >= 0.5) != (flag_ref >= 0.5)).sum()), "flag_crops": len(flag),
                     "flag_logit_diff_near_limit": float(np.median(flag_gap)),
                     "invoke_ms": invoke_ms(model),
                     "float_invoke_ms": invoke_ms(rewrite.without_outputs(fp32, {SEGMENTATION_SHAPE}))})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--photos", type=int, default=80)
    parser.add_argument("--blocks", nargs="*", metavar="BLOCK",
                        help="only measure these blocks kept float together (after step 5)")
    parser.add_argument("--reuse-single", action="store_true",
                        help="take step 3's figures from sensitivity.json (a run cut short after it)")
    parser.add_argument("--noise-pass", nargs="*", metavar="BLOCKS",
                        help="step 6 only (see above): these extra blocks (b1+b2 ...), or the standard list")
    args = parser.parse_args()
    fp32 = quantize.float32_model((models_dir(None) / LANDMARKER.name).read_bytes())
    qsvs = quantize.calibrate(fp32)
    if args.noise_pass is not None:
        result = json.loads(OUT.read_text())
        extras = tuple("" if e == "-" else e for e in args.noise_pass) or NOISE_EXTRAS
        rows = noise_pass(fp32, qsvs, noise_crops(args.checkout, args.photos), extras)
        if args.noise_pass and result.get("noise_pass"):  # more blocks: added to the standard list's rows
            rows = result["noise_pass"] + rows[1:]
        result["noise_pass"] = rows
        OUT.write_text(json.dumps(result, indent=1) + "\n")
        return 0
    xs = selection_crops(args.checkout, args.photos)
    ref = outputs(fp32, xs)
    ops = [(i, op, name) for i, (op, name) in enumerate(rewrite.op_summary(fp32))
           if op in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    if args.blocks is not None:  # step 5 only
        result = json.loads(OUT.read_text())
        combos = [args.blocks] if args.blocks else None
        result["blocks"] = result.get("blocks", []) * bool(combos) + block_sweep(
            fp32, qsvs, xs, ref, macs(fp32), combos)
        OUT.write_text(json.dumps(result, indent=1) + "\n")
        return 0
    single = json.loads(OUT.read_text())["single"] if args.reuse_single else []
    for i, op, name in [] if args.reuse_single else ops:
        s = score(quantize.quantize(fp32, qsvs, quantize.recipe(int8_ops=(name,))), xs, ref)
        single.append({"index": i, "op": op, "name": name, **s})
        print(f"op {i:3d} {op:18s} alone int8: mean {s['mean']:.3f} %", file=sys.stderr)
    OUT.write_text(json.dumps({"crops": len(xs), "single": single}, indent=1) + "\n")
    ranked = sorted(single, key=lambda r: -r["mean"])
    mac = macs(fp32)
    cumulative = []
    for k in KEEP_FLOAT:
        kept = tuple(r["name"] for r in ranked[:k])
        model = quantize.quantize(fp32, qsvs, quantize.recipe(float_ops=kept))
        cumulative.append({"keep_float": k, **score(model, xs, ref), "invoke_ms": invoke_ms(model),
                           "float_invoke_ms": invoke_ms(fp32),
                           "float_mac_share": sum(mac[n] for n in kept) / sum(mac.values())})
        print(json.dumps(cumulative[-1]))
    OUT.write_text(json.dumps({"crops": len(xs), "single": single, "ranked": [r["name"] for r in ranked],
                               "cumulative": cumulative}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
