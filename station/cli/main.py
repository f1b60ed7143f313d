"""The ``station`` command.

Exit codes: 0 done; 1 some input could not be read; 2 bad usage; 3 the models or the
TFLite runtime are missing or broken (the message says how to fix it); 75 under systemd, staff
asked for a restart (station/runtime/restart.py).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from station import __version__
from station.config.paths import models_dir
from station.config.settings import Settings
from station.storage.replog import RepLog, StoreError

if TYPE_CHECKING:
    from flask import Flask

    from station.camera.sources import FrameSource
    from station.fleet.attach import Fleet
    from station.pose.blazepose import PoseEstimator
    from station.runtime.restart import Restarter
    from station.runtime.station import Station

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_MODELS = 0, 1, 2, 3


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
        models.fetch(folder, Path(args.wheel) if args.wheel else None, _progress, quiet=args.quiet)
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
        data = quantize.build(folder, calibration, _progress)
        digest = hashlib.sha256(data).hexdigest()
        accepted: dict | None = None
        if digest == models.LANDMARKER_INT8.sha256:
            _progress(f"sha256 {digest[:8]}...: the recorded build (requirements/quantize.txt's versions)")
        elif args.force:
            _progress(f"sha256 {digest[:8]}... is not the recorded {models.LANDMARKER_INT8.sha256[:8]}...; "
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
        result = int8.measure(reference, candidate, photos, _progress)
    for line in result.lines():
        print(line, file=sys.stderr)
    if not result.passed:
        print("error: refused: this int8 build does not agree with the float model (above); it was not "
              "installed. Build with requirements/quantize.txt's versions, or pass --force",
              file=sys.stderr)
        return None
    _progress("accepted: it agrees with the float model as the recorded build does; installing it")
    return {"gate": "passed", "median_pct": round(result.median_pct, 4), "p95_pct": round(result.p95_pct, 4),
            "tf_within": result.tf_within, "tf_total": result.tf_total, "coaching_differences": 0,
            "versions": versions}


def load_estimator(args: argparse.Namespace, settings: Settings | None = None,
                   segmentation: bool = False) -> PoseEstimator:
    """The pose estimator for these arguments; :class:`ModelError` (its message says how to fix
    it) when the models or the runtime are not usable. :func:`main` turns that into exit code 3.
    ``segmentation``: only ``analyze`` reads the silhouette; everything else tracks without it."""
    from station.pose.blazepose import PoseEstimator

    settings = settings or Settings()
    return PoseEstimator.from_folder(
        models_dir(args.data),
        threads=getattr(args, "threads", None) or settings.pose_threads,
        min_detection_confidence=settings.min_detection_confidence,
        min_tracking_confidence=settings.min_tracking_confidence,
        pose_model=getattr(args, "model", None) or settings.pose_model,
        segmentation=segmentation,
    )


def cmd_analyze(args: argparse.Namespace) -> int:
    from station.streams import analyze

    estimator = load_estimator(args, segmentation=True)
    from station.coach.dowel import find_dowel
    from station.coach.posture import describe_frame

    settings = Settings()

    def describe(pose, record, rgb) -> None:
        describe_frame(pose, record, estimator.silhouette() if pose is not None else None)
        dowel = find_dowel(rgb, pose, settings)
        record["dowel"] = dowel.as_list() if dowel is not None else None

    paths = [Path(p) for p in args.paths]
    return analyze.run(paths, estimator, sys.stdout, sys.stderr, args.json, describe)


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
    estimator = load_estimator(args)
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from station.streams.evaluate import run

    return run(Path(args.dir), sys.stdout, sys.stderr, args.json)


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
        frames = record.from_source(camera, load_estimator(args), settings, args.seconds)
    elif args.inputs:
        missing = [p for p in args.inputs if not Path(p).exists()]
        if missing:
            print(f"error: {missing[0]}: no such file", file=sys.stderr)
            return EXIT_INPUT
        frames = record.from_files([Path(p) for p in args.inputs], load_estimator(args), settings)
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


class UsageError(Exception):
    """The command line asked for something that cannot be done as asked (exit code 2)."""


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


def _saved_settings(store: RepLog) -> tuple[Settings, dict[str, str]]:
    """The saved settings, field by field: a bad field falls back to its default and is named
    (field: why) for the health and staff pages; the station always starts."""
    try:
        saved = store.load_settings()
    except StoreError as exc:
        return Settings(), {"settings": f"cannot be read ({exc}); all are defaults"}
    if saved is None:
        return Settings(), {}
    settings, warnings = Settings.load(saved[1])
    for name, why in warnings.items():
        print(f"warning: setting {name}: {why}", file=sys.stderr)
    return settings, warnings


def _file_source(args: argparse.Namespace, settings: Settings) -> FrameSource | None:
    """The camera, video or folder the arguments name, checked when it is a file; None: none named."""
    from station.camera.sources import ImageFolder, OpenCVCamera, VideoFile

    if args.camera is not None:
        return OpenCVCamera(args.camera, settings.camera_width, settings.camera_height, settings.camera_fps)
    source: FrameSource
    if args.video:
        source = VideoFile(Path(args.video), realtime=not args.fast, loop=args.loop)
    elif args.folder:
        source = ImageFolder(Path(args.folder), realtime=not args.fast)
    else:
        return None
    # A file that cannot be read will not get better by waiting: CameraError now, exit code 1.
    source.open()
    source.close()
    return source


def _estimator_factory(args: argparse.Namespace, settings: Settings) -> Callable[[], PoseEstimator]:
    """Loads the models on the loop's first frame; checks them now to say early what is wrong."""
    from station.pose import models

    problems = models.check(models_dir(args.data))
    if problems and (args.video or args.folder):
        raise models.ModelError(f"{problems[0]}; {models.FIX_HINT}")
    if problems:
        # A station on the wall keeps serving its page (and says what is wrong) rather than
        # restart in a loop: staff can see the health page and fix it.
        print(f"error: {problems[0]}; {models.FIX_HINT}. The station serves its page but cannot "
              "coach until then.", file=sys.stderr)
    if args.video or args.folder:
        return lambda: load_estimator(args, settings)

    def live() -> PoseEstimator:
        # The live station tries the runtime in a child first: a native crash there is a message.
        from station.pose.preflight import check_in_child

        check_in_child(models_dir(args.data), getattr(args, "threads", None) or settings.pose_threads,
                       pose_model=getattr(args, "model", None) or settings.pose_model)
        return load_estimator(args, settings)

    return live


def build_station(args: argparse.Namespace) -> BuiltStation:
    """The station the arguments describe: store, settings, frame source, pins, web server.

    Raises StoreError or CameraError (exit 1), ModelError (exit 3), UsageError (exit 2).
    """
    from station.camera import picamera
    from station.camera.sources import SimSource
    from station.config.paths import data_dir
    from station.runtime.devices import Devices, on_pi
    from station.runtime.station import Station

    folder = data_dir(args.data)
    store = RepLog.open(folder)
    settings, warnings = _saved_settings(store)
    source = _file_source(args, settings)
    sim = args.sim or (source is None and not picamera.available())
    devices = Devices.open(settings, mock=sim or not on_pi())
    factory = None
    if sim:
        switch = devices.switch

        def press(closed: bool) -> None:
            if switch is not None:
                switch.press() if closed else switch.release()

        source = SimSource(seed=args.seed, fast=args.fast, press=press)
    else:
        source = source or picamera.Picamera2Source(settings)
        factory = _estimator_factory(args, settings)

    def on_rep(rep: dict[str, Any]) -> None:
        if args.print_reps:  # after the rep log committed it
            print(json.dumps({k: rep[k] for k in ("id", "rep", "verdict", "faults")}), flush=True)

    station = Station(settings, source, data_dir=folder, devices=devices, estimator_factory=factory,
                      demo=sim, store=store, on_rep=on_rep)
    station.settings_warnings = warnings
    built = BuiltStation(station, folder, "demo: simulated trainee, virtual pins" if sim else source.name)
    built.fleet = _fleet(station, getattr(args, "mqtt", None))
    if not args.headless:
        from station.runtime.restart import Restarter
        from station.web import create_app

        built.restarter = Restarter()
        built.app = create_app(station, data_dir=folder, metrics=built.fleet.metrics,
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
    reps = station.store.reps(limit=10**9)
    station.store.close()  # every rep was committed as it was written; this ends the WAL cleanly
    print(f"stopped; {len(reps)} reps in the log at {built.folder}", file=sys.stderr)
    if restart.is_set() and built.restarter is not None:
        print("restarting", file=sys.stderr, flush=True)
        return built.restarter.finish()
    return EXIT_OK


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


def _add_run_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    n = sub.add_parser("run", parents=[common, _engine_options()],
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


MODEL_HELP = "landmark model (default: the pose_model setting, full)"


def _engine_options() -> argparse.ArgumentParser:
    """``--threads`` and ``--model``, for every command that runs the pose engine."""
    from station.pose.models import POSE_MODELS

    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--threads", type=int, help="CPU threads per model")
    engine.add_argument("--model", choices=list(POSE_MODELS), help=MODEL_HELP)
    return engine


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="station", description="Hinge Station: a hip-hinge coach.")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR", help="data directory: rep log, settings (default: "
                        "$STATION_DATA or ~/.local/share/hinge-station; the models are shared, see README)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_pose_parsers(sub, common)
    _add_run_parser(sub, common)
    _add_stream_parsers(sub, common)
    return parser


def _add_pose_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``station models``, ``analyze`` and ``bench``: the pose models and the engine."""
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

    a = sub.add_parser("analyze", parents=[common, _engine_options()],
                       help="pose and posture in photos or videos")
    a.add_argument("paths", nargs="+", metavar="PATH", help="images, videos or folders of them")
    a.add_argument("--json", action="store_true", help="one JSON object per frame")
    a.set_defaults(func=cmd_analyze)

    b = sub.add_parser("bench", parents=[common, _engine_options()],
                       help="time the pose pipeline against its models")
    b.add_argument("images", nargs="*", metavar="IMAGE")
    b.add_argument("--frames", type=int, default=200, help="frames to time (default 200)")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)


def _add_stream_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``station record``, ``replay`` and ``evaluate``: pose streams and the coach over them."""
    r = sub.add_parser("record", parents=[common, _engine_options()],
                       help="record a pose stream (JSON Lines)")
    r.add_argument("inputs", nargs="*", metavar="PATH", help="videos, images or folders to record from")
    r.add_argument("-o", "--out", default="-", metavar="FILE", help="where to write (default: stdout)")
    r.add_argument("--sim", action="store_true", help="record the simulated trainee")
    r.add_argument("--camera", type=int, metavar="N", help="record from a USB camera")
    r.add_argument("--seconds", type=float, default=30.0, help="how long to record a camera (default 30)")
    r.add_argument("--seed", type=int, default=0, help="simulator seed")
    r.add_argument("--sets", type=int, default=2, help="simulated sets to record")
    r.set_defaults(func=cmd_record)

    p = sub.add_parser("replay", parents=[common], help="run the coach over a recorded pose stream")
    p.add_argument("file", metavar="FILE", help="a pose stream (JSON Lines), or - for stdin")
    p.add_argument("--json", action="store_true", help="one JSON object per event, then a summary")
    p.add_argument("--events", choices=["reps", "all"], default="reps",
                   help="which events to print (default: finished reps)")
    p.set_defaults(func=cmd_replay)

    e = sub.add_parser("evaluate", parents=[common],
                       help="the coach over labelled pose streams: reps and faults against the labels")
    e.add_argument("dir", metavar="DIR", help="a folder with labels.json and its pose streams, or a zip of "
                   "one (Staff > Sets > Export labelled sets)")
    e.add_argument("--json", action="store_true", help="one JSON object per recording, then a summary")
    e.set_defaults(func=cmd_evaluate)


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code of a domain error that reached the command line (None: not one of ours)."""
    from station.camera.files import MediaError
    from station.camera.sources import CameraError
    from station.pose.models import ModelError

    if isinstance(exc, ModelError):
        return EXIT_MODELS
    if isinstance(exc, MediaError | CameraError | StoreError):
        return EXIT_INPUT
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    return None


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
