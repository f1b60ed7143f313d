"""``station record``: a pose stream (JSON Lines) from videos, images, a camera or the simulator."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from station.cli import options
from station.cli.exits import EXIT_INPUT, EXIT_OK, EXIT_USAGE
from station.config.settings import Settings


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("record", parents=[common, options.engine_options()],
                       help="record a pose stream (JSON Lines)")
    r.add_argument("inputs", nargs="*", metavar="PATH", help="videos, images or folders to record from")
    r.add_argument("-o", "--out", default="-", metavar="FILE", help="where to write (default: stdout)")
    r.add_argument("--sim", action="store_true", help="record the simulated trainee")
    r.add_argument("--camera", type=int, metavar="N", help="record from a USB camera")
    r.add_argument("--seconds", type=float, default=30.0, help="how long to record a camera (default 30)")
    r.add_argument("--seed", type=int, default=0, help="simulator seed")
    r.add_argument("--sets", type=int, default=2, help="simulated sets to record")
    r.set_defaults(func=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    from station.camera.files import MediaError
    from station.streams import record

    settings = Settings()
    if args.sim:
        frames = record.from_sim(args.seed, args.sets)
    elif args.camera is not None:
        from station.camera.sources import CameraError, OpenCVCamera

        camera = OpenCVCamera(args.camera, settings.camera_width, settings.camera_height, settings.camera_fps)
        try:
            camera.open()
            camera.close()
        except CameraError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        frames = record.from_source(camera, options.estimator(args), settings, args.seconds)
    elif args.inputs:
        missing = [p for p in args.inputs if not Path(p).exists()]
        if missing:
            print(f"error: {missing[0]}: no such file", file=sys.stderr)
            return EXIT_INPUT
        frames = record.from_files([Path(p) for p in args.inputs], options.estimator(args), settings)
    else:
        print("error: say what to record: video or image paths, --camera N, or --sim", file=sys.stderr)
        return EXIT_USAGE

    def progress(n: int) -> None:
        if n % 30 == 0:
            print(f"\rrecorded {n} frames", end="", file=sys.stderr, flush=True)

    try:
        with _output(args.out) as out:
            n = record.record(frames, out, progress)
    except MediaError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(f"error: {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"\rrecorded {n} frames to {args.out}", file=sys.stderr)
    return EXIT_OK


@contextlib.contextmanager
def _output(name: str) -> Iterator[TextIO]:
    if name == "-":
        yield sys.stdout
        return
    with open(name, "w", encoding="utf-8") as out:
        yield out

