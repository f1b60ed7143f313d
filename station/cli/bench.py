"""``station bench``: time the pose pipeline against its models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from station.cli import options
from station.cli.exits import EXIT_INPUT, EXIT_OK, EXIT_USAGE


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("bench", parents=[common, options.engine_options()],
                       help="time the pose pipeline against its models")
    b.add_argument("images", nargs="*", metavar="IMAGE")
    b.add_argument("--frames", type=int, default=200, help="frames to time (default 200)")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from station.camera.files import MediaError, read_image
    from station.pose import bench

    if not args.images:
        print("error: give at least one photo of a person, e.g. "
              "`station bench ../shared/fixtures/photos/*.jpg`", file=sys.stderr)
        return EXIT_USAGE
    try:
        images = [read_image(Path(p)) for p in args.images]
    except MediaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    estimator = options.estimator(args)
    if estimator.process(images[0], video=False) is None:
        print(f"error: nobody found in {args.images[0]}; bench needs a photo of a person",
              file=sys.stderr)
        return EXIT_INPUT
    progress = None if args.json else bench.bar
    figures = bench.run(estimator, images, args.frames, progress)
    if args.json:
        print(json.dumps(figures))
    else:
        inv, frm, rat = figures["invoke_ms"], figures["frame_ms"], figures["ratios"]
        print(f"frames {figures['frames']}, threads {figures['threads']} (medians)")
        print(f"  invoke   detector {inv['detector']:7.2f} ms   landmarks {inv['landmarks']:7.2f} ms")
        print(f"  frame    tracking {frm['tracking']:7.2f} ms   = {rat['tracking_vs_landmark_invoke']:.3f}"
              " x landmark invoke")
        print(f"           detection {frm['detection']:6.2f} ms   = {rat['detection_vs_both_invokes']:.3f}"
              " x both invokes")
        split = figures["tracking_split_ms"]
        print(f"  tracking frame: crop {split['crop']:.2f}, model {split['model']:.2f}, "
              f"decode {split['decode']:.2f}, rest {split['rest']:.2f} ms")
    return EXIT_OK

