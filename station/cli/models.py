"""``station models fetch|check|quantize``: the pose models, and the int8 landmark model's build."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

from station.cli.exits import EXIT_MODELS, EXIT_OK
from station.cli.options import progress
from station.config.paths import models_dir


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser("models", parents=[common], help="fetch or check the pose models")
    m.add_argument("action", choices=["fetch", "check", "quantize"],
                   help="quantize: build the int8 landmark model (needs the quantize extra)")
    m.add_argument("--calibration", metavar="DIR", help="calibration set (default: the repository's)")
    m.add_argument("--force", action="store_true", help="install an int8 build whose sha256 is not the "
                   "recorded one without the agreement gate")
    m.add_argument("--photos", metavar="DIR", help="the labelled photos for the agreement gate of an int8 "
                   "build that is not the recorded one (default: ../shared/fixtures/photos)")
    m.add_argument("--wheel", metavar="FILE", help="take the models from this mediapipe 0.10.14 wheel")
    m.add_argument("--quiet", action="store_true", help="no pip progress bar")
    m.set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from station.pose import models

    folder = models_dir(args.data)
    if args.action == "quantize":
        return _quantize(args, folder)
    if args.action == "check":
        problems = models.check(folder)
        if not problems:
            int8 = models.check_int8(folder)
            print(f"models OK in {folder}; int8 landmark model: "
                  + ("verified" if int8 is None else f"{int8.reason} ({models.INT8_HINT})"))
            return EXIT_OK
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"fix: {models.FIX_HINT}", file=sys.stderr)
        return EXIT_MODELS
    try:
        models.fetch(folder, Path(args.wheel) if args.wheel else None, progress, quiet=args.quiet)
    except models.ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODELS
    return EXIT_OK


def _quantize(args: argparse.Namespace, folder: Path) -> int:
    """``station models quantize``: build the int8 landmark model and install it when its sha256
    is the recorded one (the locked toolchain's), or when the agreement gate accepts it."""
    from station.int8 import calibset, quantize
    from station.pose import models

    calibration = Path(args.calibration) if args.calibration else calibset.DEFAULT_FOLDER
    try:
        data = quantize.build(folder, calibration, progress)
        digest = hashlib.sha256(data).hexdigest()
        accepted: dict | None = None
        if digest == models.LANDMARKER_INT8.sha256:
            progress(f"sha256 {digest[:8]}...: the recorded build (requirements/quantize.txt's versions)")
        elif args.force:
            progress(f"sha256 {digest[:8]}... is not the recorded {models.LANDMARKER_INT8.sha256[:8]}...; "
                      "installed unchecked (--force)")
            accepted = {"forced": True, "versions": _toolchain()}
        else:
            accepted = _int8_gate(folder, data, digest, Path(args.photos) if args.photos else None)
            if accepted is None:
                return EXIT_MODELS
        quantize.install(folder, data, accepted)
    except models.ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODELS
    print(f"{models.LANDMARKER_INT8.name}: sha256 {digest}, in {folder}")
    return EXIT_OK


def _toolchain() -> dict[str, str]:
    """The versions that decide the int8 build's bytes."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("ai-edge-quantizer", "ai-edge-litert", "opencv-python-headless", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _int8_gate(folder: Path, data: bytes, digest: str, photos: Path | None) -> dict | None:
    """Issue 18's agreement gate on a build whose bytes are not the recorded ones: the record to
    keep beside it when it passes; None (the figures printed) when it fails or cannot run."""
    import tempfile

    from station.int8 import gate as int8
    from station.pose.blazepose import PoseEstimator
    from station.pose.models import LANDMARKER_INT8, require

    photos = photos or int8.DEFAULT_PHOTOS
    versions = _toolchain()
    print(f"the built int8 model has sha256 {digest}, not the recorded {LANDMARKER_INT8.sha256} "
          f"(other versions than requirements/quantize.txt's? here: "
          + ", ".join(f"{k} {v}" for k, v in versions.items()) + "); checking its agreement with the "
          "float model", file=sys.stderr)
    if not (photos / "labels.json").is_file():
        print(f"error: the agreement gate needs the labelled photos, not found in {photos}: pass "
              "--photos DIR (../shared/fixtures/photos of a checkout), or build with the locked "
              "versions (pip install --require-hashes --no-deps -r requirements/quantize.txt)",
              file=sys.stderr)
        return None
    detector, _ = require(folder)
    with tempfile.TemporaryDirectory(prefix="int8-gate-") as tmp:
        candidate_path = Path(tmp) / LANDMARKER_INT8.name
        candidate_path.write_bytes(data)
        reference = PoseEstimator.from_folder(folder, threads=2, segmentation=True)
        candidate = PoseEstimator(detector, candidate_path, 2, hold_roi=True, segmentation=True)
        result = int8.measure(reference, candidate, photos, progress)
    for line in result.lines():
        print(line, file=sys.stderr)
    if not result.passed:
        print("error: refused: this int8 build does not agree with the float model (above); it was not "
              "installed. Build with requirements/quantize.txt's versions, or pass --force",
              file=sys.stderr)
        return None
    progress("accepted: it agrees with the float model as the recorded build does; installing it")
    return {"gate": "passed", "median_pct": round(result.median_pct, 4), "p95_pct": round(result.p95_pct, 4),
            "tf_within": result.tf_within, "tf_total": result.tf_total, "coaching_differences": 0,
            "versions": versions}

