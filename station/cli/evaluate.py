"""``station evaluate``: the coach over labelled pose streams, reps and faults against the labels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    e = sub.add_parser("evaluate", parents=[common],
                       help="the coach over labelled pose streams: reps and faults against the labels")
    e.add_argument("dir", metavar="DIR", help="a folder with labels.json and its pose streams, or a zip of "
                   "one (Staff > Sets > Export labelled sets)")
    e.add_argument("--json", action="store_true", help="one JSON object per recording, then a summary")
    e.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from station.streams.evaluate import run

    return run(Path(args.dir), sys.stdout, sys.stderr, args.json)

