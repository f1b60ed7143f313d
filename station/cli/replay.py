"""``station replay``: the coach over a recorded pose stream."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli.exits import EXIT_INPUT
from station.config.settings import Settings


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("replay", parents=[common], help="run the coach over a recorded pose stream")
    p.add_argument("file", metavar="FILE", help="a pose stream (JSON Lines), or - for stdin")
    p.add_argument("--json", action="store_true", help="one JSON object per event, then a summary")
    p.add_argument("--events", choices=["reps", "all"], default="reps",
                   help="which events to print (default: finished reps)")
    p.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    from station.streams.replay import replay

    path = Path(args.file)
    if args.file == "-":
        return replay(sys.stdin, Settings(), sys.stdout, sys.stderr, args.json, args.events)
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            return replay(lines, Settings(), sys.stdout, sys.stderr, args.json, args.events)
    except OSError as exc:
        print(f"error: {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT

