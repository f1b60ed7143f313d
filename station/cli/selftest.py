"""``station selftest``: the installer's bring-up in a shell (over SSH), the same checks as the
staff page's ``/staff/bringup`` (:mod:`station.bringup`).

It builds the station as ``station run`` would (camera, pins, pose engine), runs every check
and keeps the report in the data folder, where the staff page and health show it and the
running station publishes it over MQTT. On a terminal it asks the person-steps' questions; else
they are recorded as asked, not passed. Exit code 0 when no check failed, 1 otherwise.

Run it with the service stopped (``sudo systemctl stop hinge-station``): the service holds the
camera and the pins, and the checks would find them busy.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from station.cli.exits import EXIT_INPUT, EXIT_OK

if TYPE_CHECKING:
    from station.bringup.results import Result
    from station.bringup.session import BringUp

MARKS = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL", "skipped": "skip", "asked": "ask "}


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("selftest", parents=[common],
                       help="check this station's camera, pins, heat, clock, disk and pose speed")
    s.add_argument("--json", action="store_true", help="print the report as JSON (questions: asked "
                   "on a terminal, else recorded as not answered)")
    s.add_argument("--sim", action="store_true", help="the simulated trainee instead of the camera "
                   "(the default off a Pi)")
    s.set_defaults(func=cmd_selftest)


def cmd_selftest(args: argparse.Namespace) -> int:
    from station.bringup import report
    from station.bringup.session import BringUp
    from station.runtime import build

    made = build.build_station(build.RunOptions(data=args.data, sim=args.sim, fast=False))
    station = made.station
    station.start()
    try:
        bringup = BringUp(station, port=station.settings.web_port, host=None)
        done = bringup.run()
        if not bringup.walk.virtual and sys.stdin.isatty():
            _ask(bringup, to=sys.stderr if args.json else sys.stdout)
            done = bringup.report()
    finally:
        station.stop()
        station.store.close()
    if args.json:
        print(json.dumps(done, indent=1))
    else:
        for check in done["checks"]:
            print(f"{MARKS[check['outcome']]}  {check['title']}: {check['detail']}")
        print(f"{report.summary(done)}; kept in {report.documents.path_of(made.folder, report.DOCUMENT)}")
    return EXIT_OK if done["passed"] else EXIT_INPUT


def _ask(bringup: BringUp, to: Any) -> None:
    """The person-steps at the terminal: press the pad, then each part's yes/no."""
    from station.bringup.walkthrough import STEPS

    for step in STEPS:
        if bringup.walk.not_fitted(step) is not None:
            continue
        print(bringup.walk.question(step), file=to, flush=True)
        if step == "switch":
            result: Result = bringup.walk.watch_press(bringup.press_s)
            bringup.record(result)
        else:
            bringup.ask(step)
            result = bringup.answer(step, _yes(to))
        print(f"  {MARKS[result.outcome].strip()}: {result.detail}", file=to, flush=True)


def _yes(to: Any) -> bool:
    while True:
        print("  [y/n] ", end="", file=to, flush=True)
        line = sys.stdin.readline()
        if not line:  # end of input: nobody will answer
            return False
        if line.strip().lower() in ("y", "yes", "n", "no"):
            return line.strip().lower().startswith("y")
