"""A station made as ``station run`` asks: its rep log and saved settings, its frame source (camera,
video, folder or the simulated trainee), its pins and its pose engine.

The web pages and the fleet's metrics and MQTT sit above the runtime: the command line adds them
and runs the whole (:mod:`station.cli.run`).

    >>> RunOptions(video="set.mp4").files, RunOptions(camera=0).files
    (True, False)
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.config.settings import Settings
from station.storage import StoreError
from station.storage.replog import RepLog

if TYPE_CHECKING:
    from station.camera.sources import FrameSource
    from station.runtime.station import Station


@dataclass(frozen=True)
class RunOptions:
    """What ``station run`` was asked for: its flags of the same names."""

    data: str | None = None  # the data directory (None: $STATION_DATA or the default)
    camera: int | None = None
    video: str | None = None
    folder: str | None = None
    sim: bool = False
    fast: bool = False
    loop: bool = False
    seed: int = 0
    threads: int | None = None
    model: str | None = None
    print_reps: bool = False

    @property
    def files(self) -> bool:
        """A video or a folder of images, not a camera."""
        return bool(self.video or self.folder)


@dataclass
class Built:
    """A station made from :class:`RunOptions`, not yet started."""

    station: Station
    folder: Path  # its data directory
    what: str  # what it watches, for the first line the command prints


def saved_settings(store: RepLog) -> tuple[Settings, dict[str, str]]:
    """The saved settings, field by field: a bad field falls back to its default and is named
    (field: why) for the health and staff pages; the station always starts."""
    try:
        saved = store.saved_settings.newest()
    except StoreError as exc:
        return Settings(), {"settings": f"cannot be read ({exc}); all are defaults"}
    if saved is None:
        return Settings(), {}
    settings, warnings = Settings.load(saved[1])
    for name, why in warnings.items():
        print(f"warning: setting {name}: {why}", file=sys.stderr)
    return settings, warnings


def file_source(options: RunOptions, settings: Settings) -> FrameSource | None:
    """The camera, video or folder the options name, checked when it is a file; None: none named."""
    from station.camera.sources import ImageFolder, OpenCVCamera, VideoFile

    if options.camera is not None:
        return OpenCVCamera(options.camera, settings.camera_width, settings.camera_height,
                            settings.camera_fps)
    source: FrameSource
    if options.video:
        source = VideoFile(Path(options.video), realtime=not options.fast, loop=options.loop)
    elif options.folder:
        source = ImageFolder(Path(options.folder), realtime=not options.fast)
    else:
        return None
    # A file that cannot be read will not get better by waiting: CameraError now, exit code 1.
    source.open()
    source.close()
    return source


def build_station(options: RunOptions) -> Built:
    """The station the options describe: store, settings, frame source, pins, pose engine.

    Raises StoreError or CameraError (exit 1), ModelError (exit 3).
    """
    # Imported here: `station --help` and the other commands need none of it.
    from station.camera import picamera
    from station.camera.sources import SimSource
    from station.config.paths import data_dir
    from station.runtime.devices import Devices, on_pi
    from station.runtime.estimator import estimator_factory, model_chooser
    from station.runtime.station import Station

    folder = data_dir(options.data)
    store = RepLog.open(folder)
    settings, warnings = saved_settings(store)
    source = file_source(options, settings)
    sim = options.sim or (source is None and not picamera.available())
    devices = Devices.open(settings, mock=sim or not on_pi())
    factory = None
    chooser = None  # the demo's simulated trainee brings its own poses: no model, nothing to time
    if sim:
        switch = devices.switch

        def press(closed: bool) -> None:
            if switch is not None:
                switch.press() if closed else switch.release()

        source = SimSource(seed=options.seed, fast=options.fast, press=press)
    else:
        source = source or picamera.Picamera2Source(settings)
        chooser = model_chooser(options.data, settings, threads=options.threads, model=options.model)
        factory = estimator_factory(options.data, settings, threads=options.threads, model=options.model,
                                    files=options.files, chooser=chooser)

    def on_rep(rep: dict[str, Any]) -> None:
        if options.print_reps:  # after the rep log committed it
            print(json.dumps({k: rep[k] for k in ("id", "rep", "verdict", "faults")}), flush=True)

    station = Station(settings, source, data_dir=folder, devices=devices, estimator_factory=factory,
                      demo=sim, store=store, on_rep=on_rep)
    station.settings_warnings = warnings
    if chooser is not None:
        station.health_parts.append(chooser.health)  # the landmark model and its timings
    return Built(station, folder, "demo: simulated trainee, virtual pins" if sim else source.name)
