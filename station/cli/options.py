"""What several commands share: the pose engine's options, loading it, progress on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from station.config.settings import Settings
from station.runtime.estimator import load_estimator

if TYPE_CHECKING:
    from station.pose.blazepose import PoseEstimator

MODEL_HELP = ("landmark model (default: the pose_model setting, auto: the faster on this CPU, "
              "as the station measured it; float until it has)")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def engine_options() -> argparse.ArgumentParser:
    """``--threads`` and ``--model``, for every command that runs the pose engine."""
    from station.pose.models import POSE_MODELS

    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--threads", type=int, help="CPU threads per model")
    engine.add_argument("--model", choices=["auto", *POSE_MODELS], help=MODEL_HELP)
    return engine


def estimator(args: argparse.Namespace, settings: Settings | None = None,
              segmentation: bool = False) -> PoseEstimator:
    """The pose estimator for a command's ``--data``, ``--threads`` and ``--model``
    (:func:`station.runtime.estimator.load_estimator`; ModelError, exit code 3, when unusable)."""
    return load_estimator(args.data, settings, threads=getattr(args, "threads", None),
                          model=getattr(args, "model", None), segmentation=segmentation)
