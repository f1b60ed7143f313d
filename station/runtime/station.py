"""The station: one loop from frames through pose and coach to the lights, the rep log and the web.

The loop thread owns the camera (:mod:`station.runtime.camera_keeper`), the pose engine and the
coach. Outputs never slow it: the rep log is written in the loop (a rep is on disk before anyone
hears of it), the lights are set in place, and every other consumer (the web's live pages) reads
from a :class:`Subscription` that keeps only the newest snapshot. Web threads read what the loop
published (:class:`LoopView`, the snapshot), never its live objects: staff's calibration orders
go through :mod:`station.runtime.calibration_orders`, the health page is assembled by
:mod:`station.runtime.health`.

    >>> from station.camera.sources import SimSource
    >>> import tempfile, pathlib
    >>> station = Station(Settings(), SimSource(fast=True), data_dir=pathlib.Path(tempfile.mkdtemp()))
    >>> station.start(); sub = station.subscribe(); sub.get(timeout=5)["type"]
    'snapshot'
    >>> station.stop()
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from station.camera.sources import EndOfStream, Frame, FrameSource
from station.coach.calibration import HoldProgress
from station.coach.coach import Coach
from station.coach.vocabulary import Phase
from station.config.settings import Settings, SettingsError
from station.kept_sets.keeper import SetKeeper
from station.pose.landmarks import Pose
from station.runtime import health, thermal
from station.runtime.calibration_orders import CalibrationOrders
from station.runtime.camera_keeper import CameraKeeper
from station.runtime.devices import Devices
from station.runtime.estimator import Estimator, LazyEstimator
from station.runtime.health import ErrorLog, LogRing, LoopFigures, LoopObserver
from station.runtime.hub import Hub, LoopView, Message, Subscription
from station.runtime.lights import LightPolicy
from station.runtime.notify import Notifier
from station.runtime.rep_recorder import RepRecorder
from station.runtime.rest import Resting
from station.runtime.storage_watch import StorageWatch
from station.runtime.switch_hold import Hold, SwitchHold
from station.storage.kept_sets import KeptSets
from station.storage.replog import RepLog

if TYPE_CHECKING:
    from station.storage.backup import Checked

log = logging.getLogger("station")

CHECK_EVERY_S = 86400.0  # the rep log's quick_check: at start and daily


class Station:
    """Frames -> pose -> coach -> outputs, on one thread; see the module docstring."""

    def __init__(self, settings: Settings, source: FrameSource, *, data_dir: Path,
                 devices: Devices | None = None, estimator_factory: Callable[[], Estimator] | None = None,
                 demo: bool = False, store: RepLog | None = None, notifier: Notifier | None = None,
                 on_rep: Callable[[Message], None] | None = None,
                 observers: Sequence[LoopObserver] = ()) -> None:
        self.data_dir = Path(data_dir)
        self.store = store or RepLog.open(self.data_dir)
        self._settings = settings
        self._pending: Settings | None = None
        self.started_settings = settings  # what the parts read only at start were made with
        self.source = source
        self.demo = demo
        self.devices = devices if devices is not None else Devices.open(settings, mock=demo)
        self.coach = Coach(settings)
        self.notifier = notifier or Notifier()
        self.hub = Hub()
        self.errors = ErrorLog(self.store.errors)
        self.log_lines = LogRing()  # the newest log records, for the health page
        self.figures = LoopFigures()
        self.lights_policy = LightPolicy(self.devices, settings.result_hold_s)
        self.recorder = RepRecorder(self.store, self.errors.add, on_rep)
        self.storage_watch = StorageWatch(self.store, self.data_dir)  # health reads it, never the disk
        self.keeper = SetKeeper(KeptSets.of(self.store), self.errors.add, days=settings.keep_sets_days)
        self.estimator = LazyEstimator(estimator_factory, on_problem=lambda why: self.errors.add("pose", why))
        if self.devices.switch is not None:
            self.devices.switch.on_change = self.lights_policy.switch_changed
        self.observers = list(observers)
        # More health, e.g. the MQTT publisher's: each returns a dict merged into health().
        self.health_parts: list[Callable[[], dict[str, Any]]] = []
        self.view = LoopView()
        self.switch_hold = SwitchHold()  # the wall switch held by hand: staff at the station
        self.calibration = CalibrationOrders()
        # Nobody in view: the pose engine rests (station/runtime/rest.py); "still" lasts away_s.
        self.resting = Resting(enabled=settings.rest_when_empty, still_s=settings.away_s)
        self.health_parts.append(self.resting.health)
        self.camera_keeper = CameraKeeper(source, self.errors, self.figures,
                                          stall_s=lambda: self.settings.camera_stall_s,
                                          publish_idle=lambda: self._publish(None, []))
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._stopped = threading.Event()
        self._snapshot: Message = {"type": "snapshot", "phase": Phase.AWAY, "camera": "starting",
                                   "reps": 0, "demo": demo}
        # Saved settings that were refused at start (field: why); see Settings.load.
        self.settings_warnings: dict[str, str] = {}

    # ---------------------------------------------------------------- public
    @property
    def settings(self) -> Settings:
        return self._pending or self._settings

    @property
    def frames(self) -> int:
        """Frames the coach has seen since start."""
        return self.figures.frames

    @property
    def camera(self) -> str:
        """``starting``, ``ok`` or ``offline`` (the camera keeper's word, replaced whole)."""
        return self.camera_keeper.state

    @property
    def subscribers(self) -> list[Subscription]:
        """The pages listening now (a copy)."""
        return list(self._subs)

    @property
    def service(self) -> str | None:
        """What staff must fix before the station can coach fully or keep its log (None when
        nothing); the member page shows it as a banner for staff."""
        problems = [p for p in (self.estimator.problem, self.devices.problem) if p]
        if self.recorder.failing:
            problems.append("reps are not being saved (is the disk full?); they are stored again once "
                            "it is fixed")
        return "; ".join(problems) or None

    def warnings(self) -> list[str]:
        """Everything staff should know that is not a figure: the rep log, refused settings, throttling."""
        out = []
        if self.recorder.failing:
            out.append(f"reps are not being saved: {self.recorder.failing}")
        if self.store.db.damage:
            out.append(self.store.db.damage)
        out += [f"setting {name}: {why}" for name, why in self.settings_warnings.items()]
        # A Pi the firmware slows down (under-voltage, heat) coaches late: staff see it on every page.
        heat = thermal.warning(thermal.read_thermal(thermal.SYS))
        return out + ([heat] if heat else [])

    def start(self) -> None:
        if self._thread is not None:
            return
        self._running.set()
        logging.getLogger().addHandler(self.log_lines)
        self._thread = threading.Thread(target=self._loop, name="station-loop", daemon=True)
        self._thread.start()
        threading.Thread(target=self._check_daily, name="log-check", daemon=True).start()
        self.keeper.start()
        self.storage_watch.start()

    def _check_daily(self) -> None:
        while not self._stopped.wait(CHECK_EVERY_S):
            try:
                found = self.store.db.check()
            except Exception as exc:  # a check that cannot run is reported, the loop goes on
                found = f"the rep log check failed: {exc}"
            if found:
                self.errors.add("store", found)

    def stop(self) -> None:
        """Stop the loop, close the camera and pins (idempotent)."""
        self.notifier.stopping()
        self._running.clear()
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.storage_watch.stop()
        with contextlib.suppress(Exception):
            self.keeper.close()  # after the loop: the sets that ended are written
        with contextlib.suppress(Exception):
            self.source.close()
        with contextlib.suppress(Exception):
            self.devices.close()
        for sub in list(self._subs):
            sub.close()
        logging.getLogger().removeHandler(self.log_lines)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the loop ends (end of a file, or stop); True if it ended."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def subscribe(self) -> Subscription:
        if self.hub.snapshot is None:
            self.hub.publish(self.snapshot(), [])
        sub = Subscription(self.hub, self._unsubscribe)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._subs.remove(sub)

    def snapshot(self) -> Message:
        return dict(self._snapshot)

    def apply_settings(self, changes: dict[str, Any], by: str | None = None) -> Settings:
        """Validate, save (a new version) and hand to the loop; SettingsError and nothing applied."""
        new = self.settings.changed(**changes)
        if new.web_port != self.settings.web_port and not port_free(new.web_port):
            raise SettingsError({"web_port": f"port {new.web_port} is in use by another program"})
        self.store.saved_settings.add(new.to_dict(), by)
        self._pending = new
        return new

    def restore(self, checked: Checked, by: str | None = None) -> Path:
        """Swap in a checked backup's rep log (atomically; a rep the loop writes meanwhile waits
        and lands in the restored log, in a new set) and hand its settings to the loop. The
        replaced log is kept beside it; its path is returned."""
        aside = self.store.db.replace(checked.db)
        self.store.saved_settings.add(checked.settings.to_dict(), by)
        self._pending = checked.settings
        self.settings_warnings = {}
        log.warning("rep log restored from a backup of %s by %s (%d reps, accounts: %s); the "
                    "replaced log is kept as %s", checked.manifest.get("created"), by or "?",
                    checked.reps, ", ".join(checked.accounts), aside.name)
        return aside

    def press_switch(self, pressed: bool) -> None:
        """The demo's virtual wall switch (mock pins only)."""
        switch = self.devices.switch
        if not self.devices.mock or self.devices.problem or switch is None:
            raise RuntimeError("there is no virtual wall switch: this station has real pins")
        if pressed:
            switch.press()
        else:
            switch.release()

    @property
    def keep_sets_days(self) -> int | None:
        """How long sets are kept, for the member page's notice; None when keeping is off."""
        s = self.settings
        return s.keep_sets_days if s.keep_sets else None

    def lights(self) -> dict[str, float]:
        return self.lights_policy.values()

    def preview_jpeg(self) -> bytes | None:
        """The latest camera picture, only when staff turned the preview on or are calibrating."""
        rgb = self.view.rgb
        if not (self.settings.staff_preview or self.calibration.calibrating) or rgb is None:
            return None
        import cv2

        ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 70])
        return data.tobytes() if ok else None

    def calibrate(self, step: str) -> dict[str, Any]:
        """Staff's calibration step (see :meth:`CalibrationOrders.calibrate`); the demo's trainee
        holds at the wall when staff start the wall measurement."""
        return self.calibration.calibrate(step, self.view, self.settings,
                                          getattr(self.source, "hold_at_wall", None))

    def wall_progress(self) -> HoldProgress | None:
        """The wall measurement staff asked for last, as the loop last published it (None: none
        asked, or stopped)."""
        return self.calibration.progress(self.view)

    @property
    def hold(self) -> Hold:
        """The newest long hold of the wall switch with no set in progress (the loop replaces it
        whole; web/staff/recover.py shows a one-time code on the station's own screen for it)."""
        return self.switch_hold.last

    def restart_pending(self) -> list[str]:
        """Saved settings that are read only at start and differ from what this process started
        with: they wait for a restart."""
        return self.settings.restart_changes(self.started_settings)

    def health(self) -> dict[str, Any]:
        """What the health page shows (:func:`station.runtime.health.report`)."""
        return health.report(self)

    # ---------------------------------------------------------------- the loop
    def _loop(self) -> None:
        camera = self.camera_keeper
        camera.open()
        self.notifier.ready()
        while self._running.is_set():
            now = time.monotonic()
            self.notifier.watchdog(now)
            self.recorder.tick(now)  # reps that waited for the disk go to the log once it takes them
            if not camera.opened:
                self._offline(now)
                camera.retry(now)
                continue
            try:
                frame = camera.read()
            except EndOfStream:
                self._publish(None, [])
                break
            if frame is None:
                continue
            cpu = time.thread_time()
            try:
                self._frame(frame)
            except Exception as exc:  # one bad frame is logged; the station keeps coaching
                self.errors.add("loop", f"{type(exc).__name__}: {exc}")
            self.resting.tick(time.thread_time() - cpu)
            camera.published()
        self._running.clear()

    def _offline(self, now: float) -> None:
        switch = self.devices.switch  # staff may prove they are here while the camera is out
        self.switch_hold.step(now, switch.pressed if switch is not None else None, in_rep=False)
        self.lights_policy.camera_offline()
        self.camera_keeper.offline(now)

    def _apply_pending_settings(self) -> None:
        if self._pending is not None:
            self._settings, self._pending = self._pending, None
            self.coach.update_settings(self._settings)
            self.lights_policy.hold_s = self._settings.result_hold_s
            self.keeper.retain(self._settings.keep_sets_days)
            self.resting.gate.enabled = self._settings.rest_when_empty
            self.resting.gate.still_s = self._settings.away_s

    def _frame(self, frame: Frame) -> None:
        self._apply_pending_settings()
        pose, dowel, inference_ms = frame.pose, frame.dowel, None
        if frame.rgb is not None and self._looks(frame):
            t0 = time.perf_counter()
            estimator = self._estimator()
            pose = estimator.process(frame.rgb, frame.t) if estimator is not None else None
            self.resting.gate.found(pose is not None, frame.t)
            dowel = self._find_dowel(frame.rgb, pose)
            inference_ms = 1000 * (time.perf_counter() - t0)
        switch = self.devices.switch
        wall = switch.pressed if switch is not None else None
        t0 = time.perf_counter()
        step = self.coach.step(frame.t, pose, dowel, wall)
        coach_ms = 1000 * (time.perf_counter() - t0)
        self.figures.frame(inference_ms, coach_ms)
        measuring = self.calibration.measure(frame.t, pose, self.coach.baseline, wall)
        self.view = LoopView(pose, frame.rgb if frame.rgb is not None else self.view.rgb, self.coach.baseline,
                             measuring, self.calibration.seen)
        self.keeper.frame(self._settings.keep_sets, frame.t, pose, dowel, wall)
        events = []
        for event in step.events:
            events.append(self.recorder.record(event))
            self.keeper.event(event, self.recorder.set_id)
        snap = step.snapshot.as_dict()
        if self.recorder.set_no is not None:  # one set number: the rep log's (rep_recorder.py)
            snap["set_no"] = self.recorder.set_no
        if pose is not None:
            snap["landmarks"] = pose.to_dict(0)
            snap["size"] = list(pose.size)
        if dowel is not None:
            snap["dowel"] = [round(v, 1) for v in (*dowel.p0, *dowel.p1)]
        phase = step.snapshot.phase
        if switch is not None and phase.in_rep:
            switch.note_activity()
        now = time.monotonic()
        # A wall measurement under way is a member's hold at the wall, not staff's proof.
        measuring_wall = measuring is not None and measuring.state in ("starting", "stand", "hold")
        self.switch_hold.step(now, wall, phase.in_rep or measuring_wall)
        self.lights_policy.after_step(step.events, phase, now)
        self._publish(snap, events)
        self._observe(inference_ms, coach_ms, events)

    def _looks(self, frame: Frame) -> bool:
        """Whether the pose engine runs on this frame (the motion gate, station/runtime/rest.py).
        A frame it skips goes to the coach as "nobody", as if the detector had found nobody."""
        from station.camera.small import small_grey

        assert frame.rgb is not None
        small = frame.small if frame.small is not None else small_grey(frame.rgb)
        return self.resting.gate.should_detect(small, frame.t)

    def _observe(self, inference_ms: float | None, coach_ms: float, events: list[Message]) -> None:
        for observer in self.observers:
            try:
                observer.frame(inference_ms, coach_ms)
                if events:
                    observer.events(events)
            except Exception as exc:  # an observer's bug must not stop the coaching
                self.errors.add("output", f"{type(observer).__name__} failed: {exc}")

    def _estimator(self) -> Estimator | None:
        """The pose engine; its first load (a preflight child, then the models) may take longer than
        the watchdog allows on a slow CPU, so the watchdog is fed meanwhile. A load is bounded (the
        preflight's timeout); a hang anywhere else still goes unfed."""
        if not self.estimator.pending:
            return self.estimator.get()
        done = threading.Event()

        def feed() -> None:
            while not done.wait(1.0):
                self.notifier.watchdog()

        feeder = threading.Thread(target=feed, name="station-load-watchdog", daemon=True)
        feeder.start()
        try:
            return self.estimator.get()
        finally:
            done.set()
            feeder.join()

    def _find_dowel(self, rgb: np.ndarray, pose: Pose | None) -> Any:
        from station.coach.dowel import find_dowel

        return find_dowel(rgb, pose, self._settings)

    def _publish(self, snap: Message | None, events: list[Message]) -> None:
        if snap is None:
            snap = dict(self._snapshot)
        snap.update(type="snapshot", camera=self.camera, demo=self.demo, lights=self.lights(),
                    service=self.service, keep_sets_days=self.keep_sets_days,
                    hold=self.switch_hold.last.count)
        self._snapshot = snap
        now = time.monotonic()
        # Resting, the live pages rest too: a snapshot only when it changed, or now and then.
        if self.resting.snapshot_due(snap, bool(events), now):
            self.resting.sent(snap, now)
            self.hub.publish(snap, events)


def port_free(port: int) -> bool:
    """Whether a web server could listen on ``port`` (tried on every address, as it would)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True
