"""``station analyze``: pose and posture in photos or videos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli import options
from station.config.settings import Settings


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("analyze", parents=[common, options.engine_options()],
                       help="pose and posture in photos or videos")
    a.add_argument("paths", nargs="+", metavar="PATH", help="images, videos or folders of them")
    a.add_argument("--json", action="store_true", help="one JSON object per frame")
    a.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    from station.streams import analyze

    estimator = options.estimator(args, segmentation=True)
    from station.coach.dowel import find_dowel
    from station.coach.posture import describe_frame

    settings = Settings()

    def describe(pose, record, rgb) -> None:
        describe_frame(pose, record, estimator.silhouette() if pose is not None else None)
        dowel = find_dowel(rgb, pose, settings)
        record["dowel"] = dowel.as_list() if dowel is not None else None

    paths = [Path(p) for p in args.paths]
    return analyze.run(paths, estimator, sys.stdout, sys.stderr, args.json, describe)

