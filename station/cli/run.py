"""``station run``: build the station (:mod:`station.runtime.build`), add the fleet's metrics and
MQTT and the web server, run until stopped, and say how it ended.

The web server is made here, not in the runtime: the web sits above the runtime and the fleet.
"""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.cli.exits import EXIT_OK, UsageError
from station.cli.options import engine_options
from station.config.settings import Settings
from station.runtime import build
from station.runtime.build import RunOptions

if TYPE_CHECKING:
    from flask import Flask

    from station.fleet.attach import Fleet
    from station.runtime.restart import Restarter
    from station.runtime.station import Station


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    n = sub.add_parser("run", parents=[common, engine_options()],
                       help="run the station (off a Pi: the demo)")
    src = n.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, metavar="N", help="a USB camera by its index")
    src.add_argument("--video", metavar="FILE", help="a video file instead of a camera")
    src.add_argument("--folder", metavar="DIR", help="a folder of images instead of a camera")
    src.add_argument("--sim", action="store_true", help="the simulated trainee (the default off a Pi)")
    n.add_argument("--fast", action="store_true", help="files and the simulator as fast as possible")
    n.add_argument("--loop", action="store_true", help="play the video again and again")
    n.add_argument("--seed", type=int, default=0, help="simulator seed")
    n.add_argument("--host", help="address to serve on (default: every interface on a Pi, "
                   "127.0.0.1 elsewhere; 0.0.0.0 serves the LAN)")
    n.add_argument("--port", type=int, help="web port (default from settings: 8000)")
    n.add_argument("--headless", action="store_true", help="no web pages")
    n.add_argument("--print-reps", action="store_true", help="print each rep once it is in the log")
    n.add_argument("--mqtt", metavar="URL", help="MQTT broker for this run (mqtt://host:1883, "
                   "mqtts://host:8883), instead of the setting")
    n.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    import logging
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("waitress").setLevel(logging.WARNING)
    built = build_station(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return run_station(built, stop)


@dataclass
class BuiltStation:
    """A station made from the command line, with its web server (not yet running)."""

    station: Station
    folder: Path
    what: str  # what it watches, for the first line it prints
    app: Flask | None = None
    server: Any = None
    host: str = "127.0.0.1"
    fleet: Fleet | None = None
    restarter: Restarter | None = None  # staff's Restart button (station/runtime/restart.py)


def run_options(args: argparse.Namespace) -> RunOptions:
    """The runtime's options from ``station run``'s arguments (the flags of the same names)."""
    return RunOptions(**{f.name: getattr(args, f.name) for f in fields(RunOptions)})


def build_station(args: argparse.Namespace) -> BuiltStation:
    """The station the arguments describe (:func:`station.runtime.build.build_station`: store,
    settings, frame source, pins, pose engine), with its fleet and its web server.

    Raises StoreError or CameraError (exit 1), ModelError (exit 3), UsageError (exit 2).
    """
    made = build.build_station(run_options(args))
    station = made.station
    built = BuiltStation(station, made.folder, made.what)
    built.fleet = _fleet(station, getattr(args, "mqtt", None))
    if not args.headless:
        from station.runtime.devices import on_pi
        from station.runtime.restart import Restarter
        from station.web import create_app

        built.restarter = Restarter()
        built.app = create_app(station, data_dir=made.folder, metrics=built.fleet.metrics,
                               restarter=built.restarter)
        built.host = serve_host(args.host, on_pi())
        built.server = _serve(built.app, station, built.host, args.port)
    return built


def serve_host(asked: str | None, pi: bool) -> str:
    """The address to serve on: the one asked for, else every interface on a Pi (the gym's LAN
    reaches its station) and only this computer off a Pi (a laptop demo must not offer its
    one-time setup code to a café's network).

    >>> serve_host(None, pi=False), serve_host(None, pi=True), serve_host("0.0.0.0", pi=False)
    ('127.0.0.1', '0.0.0.0', '0.0.0.0')
    """
    if asked:
        return asked
    return "0.0.0.0" if pi else "127.0.0.1"


def _fleet(station: Station, mqtt_url: str | None) -> Fleet:
    """Metrics and the MQTT publisher; ``mqtt_url`` (``--mqtt``) overrides the setting for this run."""
    from station.config.settings import SettingsError
    from station.fleet.attach import Fleet

    if mqtt_url is not None:
        try:
            Settings().changed(mqtt_url=mqtt_url)
        except SettingsError as exc:
            station.stop()
            raise UsageError(f"--mqtt {mqtt_url}: give mqtt://host[:port] or mqtts://host[:port]") from exc
    return Fleet(station, mqtt_url)


def _serve(app: Flask, station: Station, host: str, port: int | None) -> Any:
    """The web server on ``port``, else on the saved port; a saved port that is taken falls back
    to the default with a warning, so the page to fix it is always there."""
    from station.web import make_server

    ports = [port] if port else list(dict.fromkeys([station.settings.web_port, Settings().web_port]))
    for i, candidate in enumerate(ports):
        try:
            server = make_server(app, host, candidate)
        except OSError as exc:
            if i + 1 < len(ports):
                station.settings_warnings["web_port"] = (
                    f"port {candidate} is taken ({exc.strerror}); serving on {ports[i + 1]} instead")
                continue
            station.stop()
            raise UsageError(f"cannot serve on port {candidate} ({exc.strerror})") from exc
        return server
    raise AssertionError("unreachable")


def _reach(host: str) -> str:
    """Who can open the page, said on the first line so nobody is surprised either way."""
    if host in ("127.0.0.1", "localhost", "::1"):
        return "only this computer (--host 0.0.0.0 serves the LAN); Ctrl+C stops"
    return f"serving {host} (the LAN too); Ctrl+C stops"


def run_station(built: BuiltStation, stop: threading.Event) -> int:
    """Run until ``stop`` is set or the source ends, then close everything and say how it ended."""
    station, server = built.station, built.server
    if server is not None:
        threading.Thread(target=server.run, name="web", daemon=True).start()
        print(f"Hinge Station on http://localhost:{server.effective_port}/ ({built.what}); "
              + _reach(built.host), flush=True)
        code = built.app.config.get("SETUP_CODE") if built.app is not None else None
        if code:
            print(f"staff setup code (one time, creates the first account): {code}", flush=True)
    else:
        print(f"Hinge Station running headless ({built.what})", flush=True)
    # The loop starts after the first lines: a fast source's first rep (--print-reps) comes after them.
    station.start()
    if built.fleet is not None:
        built.fleet.start()
    restart = built.restarter.due if built.restarter is not None else threading.Event()
    while not stop.is_set() and not restart.is_set() and not station.wait(0.2):
        pass
    station.stop()
    if built.fleet is not None:
        built.fleet.stop()  # says "offline"; reps not yet acknowledged wait in the log
    if server is not None:
        server.close()
    reps = station.store.reps.newest_first(limit=10**9)
    station.store.close()  # every rep was committed as it was written; this ends the WAL cleanly
    print(f"stopped; {len(reps)} reps in the log at {built.folder}", file=sys.stderr)
    if restart.is_set() and built.restarter is not None:
        print("restarting", file=sys.stderr, flush=True)
        return built.restarter.finish()
    return EXIT_OK

