"""The ``station`` command: the parser, made of each command's own (one module per command), and
:func:`main`, which runs the command and turns our errors into exit codes (:mod:`station.cli.exits`).

Exit codes: 0 done; 1 some input could not be read; 2 bad usage; 3 the models or the
TFLite runtime are missing or broken (the message says how to fix it); 75 under systemd, staff
asked for a restart (station/runtime/restart.py).
"""

from __future__ import annotations

import argparse
import sys

from station import __version__
from station.cli import analyze, bench, evaluate, models, record, replay, run, selftest
from station.cli.exits import EXIT_OK, exit_code_for

# In the order `station --help` lists them.
COMMANDS = (models, analyze, bench, run, record, replay, evaluate, selftest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="station", description="Hinge Station: a hip-hinge coach.")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR", help="data directory: rep log, settings (default: "
                        "$STATION_DATA or ~/.local/share/hinge-station; the models are shared, see README)")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
