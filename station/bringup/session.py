"""One bring-up of a running station: the automatic checks (in the background for the page, in
the foreground for the shell), the person-steps' questions and answers, and the report kept
after every change so that nothing answered is lost if the power goes.

    >>> import tempfile, pathlib
    >>> from station.camera.sources import SimSource
    >>> from station.config.settings import Settings
    >>> from station.runtime.station import Station
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> station = Station(Settings(), SimSource(fast=True), data_dir=folder, demo=True)
    >>> station.start()
    >>> timed = {"model": "full", "float_ms": 9.0, "int8_ms": None, "reason": "int8 not built", "threads": 2}
    >>> bringup = BringUp(station, port=8000, host="127.0.0.1", measure_pose=lambda: timed)
    >>> report = bringup.run(); [c["outcome"] for c in report["checks"] if c["name"] == "light_red"]
    ['pass']
    >>> station.stop()
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.bringup import checks, report
from station.bringup.results import Result
from station.bringup.walkthrough import PRESS_S, STEPS, TITLES, Walkthrough

if TYPE_CHECKING:
    from station.runtime.station import Station

log = logging.getLogger("station.bringup")

# The order of the report and the page: what is seen first on the wall, then the Pi itself.
ORDER = ("camera", "pins", *STEPS, "thermal", "clock", "disk", "pose", "network")
CAMERA_WAIT_S = 5.0  # a station just started: time for the camera to open and its rate to settle


class BringUp:
    """The bring-up of ``station`` (see the module docstring). ``port`` and ``host``: where the
    pages are served (for the network check); ``sys_root``, ``run`` and ``pose_models`` are the
    edges the checks read (tests give fakes); ``measure_pose`` times the landmark models (default:
    :func:`station.runtime.model_choice.choose_model` on the station's data folder)."""

    def __init__(self, station: Station, *, port: int, host: str | None, sys_root: Path = Path("/sys"),
                 run: checks.Runner | None = None, measure_pose: Callable[[], dict[str, Any]] | None = None,
                 camera_wait_s: float = CAMERA_WAIT_S, press_s: float = PRESS_S) -> None:
        self.station = station
        self.port, self.host = port, host
        self.sys_root, self._run = sys_root, run
        self.measure_pose = measure_pose or self._choose_model
        self.camera_wait_s, self.press_s = camera_wait_s, press_s
        self.walk = Walkthrough(station.devices, station.settings)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._watch: threading.Thread | None = None
        self.asking: str | None = None  # the part shown now, awaiting yes or no
        kept = report.load(station.data_dir)
        self.started = str(kept["started"]) if kept else report.now_iso()
        self.results: dict[str, Result] = {}
        for c in (kept or {}).get("checks", []):
            try:
                self.results[c["name"]] = Result.from_dict(c)
            except (KeyError, TypeError, ValueError):  # a report from another version: run again
                continue

    # ------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def watching(self) -> bool:
        """A press of the pad is awaited now."""
        return self._watch is not None and self._watch.is_alive()

    def report(self) -> dict[str, Any]:
        with self._lock:
            results = [self.results[n] for n in ORDER if n in self.results]
        name = self.station.settings.station_name or socket.gethostname()
        return report.assemble(results, station=name, started=self.started)

    def record(self, *results: Result) -> None:
        """Keep results and save the report at once (a crash loses nothing answered)."""
        with self._lock:
            for r in results:
                self.results[r.name] = r
        try:
            report.save(self.station.data_dir, self.report())
        except OSError as exc:  # a full or read-only card: the page still shows the answers
            log.error("cannot save the bring-up report: %s", exc)
            self.station.errors.add("bringup", f"the bring-up report cannot be saved: {exc}")

    # ------------------------------------------------------------ the automatic checks
    def run(self) -> dict[str, Any]:
        """Every check, afresh: the automatic ones, and the person-steps answered by reading the
        pins when they are virtual, else left as asked for a person. Returns the saved report."""
        self.started = report.now_iso()
        with self._lock:
            self.results = {}
        self.record(self._camera(), checks.pins(self.station.devices))
        if self.walk.virtual:
            self.record(*(self.walk.check_virtual(step) for step in STEPS))
        else:
            self.record(*(self.walk.unanswered(step) for step in STEPS))
        self.record(checks.thermal(self.sys_root), checks.clock(self._run or checks._run),
                    checks.disk(self.station.data_dir))
        self.record(self._pose(), checks.network(self.port, self.host))
        return self.report()

    def start(self) -> bool:
        """:meth:`run` in the background (the page polls); False when one is already running."""
        with self._lock:
            if self.running:
                return False
            self._thread = threading.Thread(target=self._run_logged, name="bringup", daemon=True)
            self._thread.start()
        return True

    def _run_logged(self) -> None:
        try:
            self.run()
        except Exception as exc:  # a check's bug must not pass for a finished run: it is said
            log.exception("bring-up checks failed")
            self.record(Result("bringup", "Bring-up", "fail",
                               f"the checks stopped: {type(exc).__name__}: {exc}"))

    def wait(self, timeout: float | None = None) -> None:
        for thread in (self._thread, self._watch):
            if thread is not None:
                thread.join(timeout)

    def _camera(self) -> Result:
        station = self.station
        deadline = time.monotonic() + self.camera_wait_s
        # The loop's frame rate is over its last frames: wait for a second's worth of them.
        while time.monotonic() < deadline and (station.camera == "starting"
                                               or station.frames < station.settings.camera_fps):
            time.sleep(0.1)
        return checks.camera(station.camera, station.source, station.figures.fps(), station.settings,
                             simulated=station.demo)

    def _pose(self) -> Result:
        return checks.pose_speed(self.measure_pose, self.station.settings.camera_fps)

    def _choose_model(self) -> dict[str, Any]:
        from station.runtime.model_choice import choose_model

        return choose_model(self.station.data_dir, self.station.settings.pose_threads)

    # ------------------------------------------------------------ the person-steps
    def ask(self, name: str) -> str:
        """Show the part (light on, buzzer beeping) and return its question."""
        if name not in STEPS or name == "switch":
            raise ValueError(f"no question for {name!r}")
        skipped = self.walk.not_fitted(name)
        if skipped is not None:
            self.record(skipped)
            return skipped.detail
        self.walk.show(name)
        self.asking = name
        return self.walk.question(name)

    def answer(self, name: str, yes: bool) -> Result:
        """The person's answer (virtual pins: the pin is read instead, whatever was answered)."""
        if name not in STEPS or name == "switch":
            raise ValueError(f"no question for {name!r}")
        result = self.walk.check_virtual(name) if self.walk.virtual else self.walk.answer(name, yes)
        self.asking = None
        self.record(result)
        return result

    def watch_press(self, stop: Callable[[], bool] = lambda: False) -> Result | None:
        """Await a press of the pad in the background (virtual pins: checked at once); None when
        a watch is already running."""
        if self.walk.virtual:
            result = self.walk.check_virtual("switch")
            self.record(result)
            return result
        with self._lock:
            if self.watching:
                return None
            self._record_now(Result("switch", TITLES["switch"], "asked", "waiting for a press of the pad"))
            self._watch = threading.Thread(
                target=lambda: self.record(self.walk.watch_press(self.press_s, stop)),
                name="bringup-press", daemon=True)
            self._watch.start()
        return self.results["switch"]

    def _record_now(self, result: Result) -> None:
        """Set a result while holding the lock (no save: the watch's own result is saved)."""
        self.results[result.name] = result
