"""The station: one loop from frames through pose and coach to the lights, the rep log and the web.

The loop thread owns the camera, the pose engine and the coach. Outputs never slow it: the rep
log is written in the loop (a rep is on disk before anyone hears of it), the lights are set in
place, and every other consumer (the web's live pages) reads from a :class:`Subscription` that
keeps only the newest snapshot.

    >>> from station.camera.sources import SimSource
    >>> import tempfile, pathlib
    >>> station = Station(Settings(), SimSource(fast=True), data_dir=pathlib.Path(tempfile.mkdtemp()))
    >>> station.start(); sub = station.subscribe(); sub.get(timeout=5)["type"]
    'snapshot'
    >>> station.stop()
"""

from __future__ import annotations

import collections
import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from station import __version__
from station.camera.sources import CameraError, EndOfStream, Frame, FrameSource
from station.coach.coach import Coach
from station.coach.events import Event, RepFinished, SetEnded, SetStarted, WallTouched
from station.devices import Devices, pin_factory
from station.notify import Notifier
from station.settings import Settings
from station.store import RepLog, StoreError

log = logging.getLogger("station")

IDLE_PUBLISH_S = 0.5  # with no frames (camera offline), snapshots still go out this often
MAX_BACKOFF_S = 30.0
EVENTS_KEPT = 64  # per subscriber, for a consumer that falls behind


class Hub:
    """Where the loop leaves the newest snapshot and recent events: publishing costs the same for
    one consumer or fifty, and nobody's reading can hold the loop up."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.version = 0
        self.snapshot: dict | None = None
        self.events: collections.deque[tuple[int, dict]] = collections.deque(maxlen=EVENTS_KEPT)
        self.event_seq = 0

    def publish(self, snapshot: dict | None, events: list[dict]) -> None:
        with self.cond:
            for e in events:
                self.event_seq += 1
                self.events.append((self.event_seq, e))
            if snapshot is not None:
                self.snapshot = snapshot
                self.version += 1
            self.cond.notify_all()


class Subscription:
    """One consumer's view of the hub: every recent event once, then the newest snapshot."""

    def __init__(self, hub: Hub, on_close: Callable[[Subscription], None]) -> None:
        self._hub = hub
        with hub.cond:
            self._version = hub.version - 1 if hub.snapshot is not None else hub.version
            self._event_seq = hub.event_seq
        self._on_close = on_close
        self.dropped = 0  # snapshots that came and went before this consumer read one
        self.closed = False

    def _ready(self) -> bool:
        return self.closed or self._hub.version > self._version or self._hub.event_seq > self._event_seq

    def get(self, timeout: float | None = None) -> dict | None:
        """The next message: queued events first, then the newest snapshot; None on timeout."""
        hub = self._hub
        with hub.cond:
            if not self._ready():
                hub.cond.wait_for(self._ready, timeout)
            if hub.event_seq > self._event_seq:
                for seq, event in hub.events:
                    if seq > self._event_seq:
                        self._event_seq = seq
                        return event
                self._event_seq = hub.event_seq  # older events than the ring keeps are gone
            if hub.version > self._version:
                self.dropped += hub.version - self._version - 1
                self._version = hub.version
                return hub.snapshot
            return None

    def close(self) -> None:
        with self._hub.cond:
            self.closed = True
            self._hub.cond.notify_all()
        self._on_close(self)


class Station:
    """Frames -> pose -> coach -> outputs, on one thread; see the module docstring."""

    def __init__(self, settings: Settings, source: FrameSource, *, data_dir: Path,
                 devices: Devices | None = None, estimator_factory: Callable[[], Any] | None = None,
                 demo: bool = False, store: RepLog | None = None, notifier: Notifier | None = None,
                 on_rep: Callable[[dict], None] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.store = store or RepLog.open(self.data_dir)
        self._settings = settings
        self.source = source
        self.demo = demo
        self._estimator_factory = estimator_factory
        self._estimator = None
        self.devices = devices if devices is not None else Devices.from_settings(
            settings, factory=pin_factory(mock=True) if demo else None)
        if self.devices.switch is not None:
            self.devices.switch.on_change = self._switch_changed
        self.coach = Coach(settings)
        self.notifier = notifier or Notifier()
        self.on_rep = on_rep
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self.hub = Hub()
        self._pending: Settings | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._snapshot: dict = {"type": "snapshot", "phase": "away", "camera": "starting", "reps": 0,
                                "demo": demo}
        self._set_id: int | None = None
        self._result_until = 0.0
        self._phase = "away"
        self._last_rgb = None
        self._last_pose = None
        self._calibrating = False
        self.camera = "starting"
        self.service: str | None = None  # what staff must fix before the station can coach
        self.started = time.monotonic()
        self.frames = 0
        self.errors: collections.deque[dict] = collections.deque(maxlen=20)
        self._fps_times: collections.deque[float] = collections.deque(maxlen=90)
        self.inference_ms = 0.0
        self.coach_ms = 0.0
        self.missed_reads = 0

    # ---------------------------------------------------------------- public
    @property
    def settings(self) -> Settings:
        return self._pending or self._settings

    def start(self) -> None:
        if self._thread is not None:
            return
        self._running.set()
        self._thread = threading.Thread(target=self._loop, name="station-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop, close the camera and pins (idempotent)."""
        self.notifier.stopping()
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with contextlib.suppress(Exception):
            self.source.close()
        with contextlib.suppress(Exception):
            self.devices.close()
        for sub in list(self._subs):
            sub.close()

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

    def snapshot(self) -> dict:
        return dict(self._snapshot)

    def apply_settings(self, changes: dict[str, Any], by: str | None = None) -> Settings:
        """Validate, save (a new version) and hand to the loop; SettingsError and nothing applied."""
        new = self.settings.changed(**changes)
        self.store.save_settings(new.to_dict(), by)
        self._pending = new
        return new

    def press_switch(self, pressed: bool) -> None:
        """The demo's virtual wall switch (mock pins only)."""
        switch = self.devices.switch
        if not self.devices.mock or switch is None:
            raise RuntimeError("there is no virtual wall switch: this station has real pins")
        if pressed:
            switch.press()
        else:
            switch.release()

    def lights(self) -> dict[str, float]:
        try:
            return self.devices.lights.values()
        except Exception:  # the pins are closed (the station stopped)
            return {"red": 0.0, "amber": 0.0, "green": 0.0}

    def preview_jpeg(self) -> bytes | None:
        """The latest camera picture, only when staff turned the preview on or are calibrating."""
        if not (self.settings.staff_preview or self._calibrating) or self._last_rgb is None:
            return None
        import cv2

        ok, data = cv2.imencode(".jpg", cv2.cvtColor(self._last_rgb, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, 70])
        return data.tobytes() if ok else None

    def calibrate(self, step: str) -> dict:
        """Suggested settings from what the camera sees now: ``side``, ``wall`` or ``dowel``."""
        from station.calibration import suggest

        self._calibrating = step != "done"
        return suggest(step, self.coach, self._last_pose, self._last_rgb, self.settings)

    def health(self) -> dict:
        now = time.monotonic()
        times = list(self._fps_times)
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        try:
            disk = shutil.disk_usage(self.data_dir).free // 2**20
        except OSError:
            disk = None
        db = Path(str(self.store.path))
        return {
            "version": __version__, "uptime_s": round(now - self.started, 1), "camera": self.camera,
            "service": self.service,
            "camera_name": getattr(self.source, "name", "?"), "fps": round(fps, 1),
            "inference_ms": round(self.inference_ms, 2), "coach_ms": round(self.coach_ms, 3),
            "frames": self.frames, "missed_reads": self.missed_reads,
            "dropped_snapshots": sum(s.dropped for s in list(self._subs)),
            "subscribers": len(self._subs),
            "switch": self._switch_health(),
            "lights": self.lights(), "demo": self.demo,
            "last_error": self.errors[-1]["message"] if self.errors else None,
            "errors": list(self.errors)[::-1],
            "disk_free_mb": disk, "db_size_mb": round(db.stat().st_size / 2**20, 2) if db.exists() else None,
        }

    def _switch_health(self) -> dict:
        switch = self.devices.switch
        try:
            return {"enabled": switch is not None, "pressed": bool(switch and switch.pressed),
                    "stuck": bool(switch and switch.stuck)}
        except Exception:  # the pins are closed (the station stopped)
            return {"enabled": switch is not None, "pressed": None, "stuck": None}

    # ---------------------------------------------------------------- the loop
    def _error(self, source: str, message: str) -> None:
        entry = {"t": time.time(), "source": source, "message": message}
        if not self.errors or self.errors[-1]["message"] != message:
            log.warning("%s: %s", source, message)  # the same trouble again is logged once
        self.errors.append(entry)
        with contextlib.suppress(StoreError):
            self.store.log_error(entry["t"], source, message)

    def _open_source(self) -> bool:
        try:
            self.source.open()
        except CameraError as exc:
            self._error("camera", str(exc))
            return False
        self.camera = "ok"
        return True

    def _loop(self) -> None:
        backoff = 1.0
        opened = self._open_source()
        retry_at = time.monotonic() + backoff
        last_frame = time.monotonic()
        last_publish = 0.0
        self.notifier.ready()
        while self._running.is_set():
            now = time.monotonic()
            self.notifier.watchdog(now)
            if not opened:
                self._offline(now)
                if now >= retry_at:
                    opened = self._open_source()
                    backoff = 1.0 if opened else min(backoff * 2, MAX_BACKOFF_S)
                    retry_at = now + backoff
                    last_frame = time.monotonic()
                else:
                    time.sleep(min(0.2, max(0.0, retry_at - now)))
                continue
            try:
                frame = self.source.read(timeout=0.5)
            except EndOfStream:
                self._publish(None, [])
                break
            except CameraError as exc:
                self._error("camera", str(exc))
                with contextlib.suppress(Exception):
                    self.source.close()
                opened = False
                retry_at = time.monotonic() + backoff
                continue
            if frame is None:
                self.missed_reads += 1
                if time.monotonic() - last_frame > self.settings.camera_stall_s:
                    self._error("camera", f"no frame from {self.source.name} for "
                                f"{self.settings.camera_stall_s:g} s; reopening")
                    with contextlib.suppress(Exception):
                        self.source.close()
                    opened = False
                    retry_at = time.monotonic() + backoff
                elif time.monotonic() - last_publish > IDLE_PUBLISH_S:
                    self._publish(None, [])
                    last_publish = time.monotonic()
                continue
            last_frame = time.monotonic()
            backoff = 1.0
            self.camera = "ok"
            try:
                self._frame(frame)
            except Exception as exc:  # one bad frame is logged; the station keeps coaching
                self._error("loop", f"{type(exc).__name__}: {exc}")
            last_publish = time.monotonic()
        self._running.clear()

    def _offline(self, now: float) -> None:
        if self.camera != "offline":
            self.camera = "offline"
        self.devices.lights.show("camera_offline")
        if now - getattr(self, "_last_offline_publish", 0.0) > IDLE_PUBLISH_S:
            self._last_offline_publish = now
            self._publish(None, [])

    def _frame(self, frame: Frame) -> None:
        if self._pending is not None:
            self._settings, self._pending = self._pending, None
            self.coach.update_settings(self._settings)
        pose, dowel = frame.pose, frame.dowel
        if frame.rgb is not None:
            t0 = time.perf_counter()
            estimator = self._get_estimator()
            pose = estimator.process(frame.rgb, frame.t) if estimator is not None else None
            dowel = self._find_dowel(frame.rgb, pose)
            self.inference_ms = 1000 * (time.perf_counter() - t0)
            self._last_rgb = frame.rgb
        self._last_pose = pose
        switch = self.devices.switch
        wall = switch.pressed if switch is not None else None
        t0 = time.perf_counter()
        step = self.coach.step(frame.t, pose, dowel, wall)
        self.coach_ms = 1000 * (time.perf_counter() - t0)
        self.frames += 1
        self._fps_times.append(time.monotonic())
        events = [self._record(e) for e in step.events]
        snap = step.snapshot.as_dict()
        if pose is not None:
            snap["landmarks"] = pose.to_dict(0)
            snap["size"] = list(pose.size)
        self._phase = snap["phase"]
        if switch is not None and snap["phase"] in ("hinging", "at_wall", "returning"):
            switch.note_activity()
        self._show_lights(step.events, snap["phase"])
        self._publish(snap, events)

    def _get_estimator(self):
        if self._estimator is None and self._estimator_factory is not None:
            try:
                self._estimator = self._estimator_factory()
            except (Exception, SystemExit) as exc:  # a missing model: say it once, keep serving
                # The command line's loader has printed its reason and exits with a bare code.
                why = "" if isinstance(exc, SystemExit) else f" ({exc})"
                self.service = f"the pose models cannot be loaded{why}; run `station models fetch`"
                self._error("pose", self.service)
                self._estimator_factory = None
        return self._estimator

    def _find_dowel(self, rgb, pose):
        from station.coach.dowel import find_dowel

        return find_dowel(rgb, pose, self._settings)

    def _record(self, event: Event) -> dict:
        """Store what must survive (before anyone is told), and the event as a message."""
        data = event.as_dict()
        try:
            if isinstance(event, SetStarted):
                self._set_id = self.store.start_set(time.time(), event.facing)
            elif isinstance(event, RepFinished):
                if self._set_id is None:
                    self._set_id = self.store.start_set(time.time(), None)
                data["id"] = self.store.add_rep(self._set_id, time.time(), event.rep, event.verdict,
                                                event.faults, event.metrics)
                if self.on_rep is not None:
                    try:
                        self.on_rep(data)
                    except Exception as exc:  # a listener's failure must not stop the loop
                        self._error("output", f"rep listener failed: {exc}")
            elif isinstance(event, SetEnded) and self._set_id is not None:
                self.store.end_set(self._set_id, time.time())
                self._set_id = None
        except StoreError as exc:
            self._error("store", str(exc))
        return {"type": "event", **data}

    def _show_lights(self, events: tuple[Event, ...], phase: str) -> None:
        now = time.monotonic()
        lights, buzzer = self.devices.lights, self.devices.buzzer
        for e in events:
            if isinstance(e, RepFinished):
                lights.show("good" if e.verdict == "good" else "fault")
                self._result_until = now + self._settings.result_hold_s
                if buzzer is not None:
                    buzzer.beep(e.verdict)
            elif isinstance(e, WallTouched):
                lights.show("at_wall")
        if now < self._result_until and phase in ("ready", "away"):
            return
        lights.show({"ready": "ready", "hinging": "hinging", "at_wall": "at_wall",
                     "returning": "hinging"}.get(phase, "away"))

    def _switch_changed(self, pressed: bool) -> None:
        # Straight from the pin's callback: the member sees the wall touch at once, not a frame later.
        if pressed and self._phase == "hinging":
            self.devices.lights.show("at_wall")

    def _publish(self, snap: dict | None, events: list[dict]) -> None:
        if snap is None:
            snap = dict(self._snapshot)
        snap.update(type="snapshot", camera=self.camera, demo=self.demo, lights=self.lights(),
                    service=self.service)
        self._snapshot = snap
        self.hub.publish(snap, events)
