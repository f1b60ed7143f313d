"""The station's health: the loop's figures, its error log, and the health page's dict.

:class:`LoopFigures` is written by the loop only; readers on web threads see plain numbers.
:class:`ErrorLog` is written by the loop and read by web threads, so it takes a lock.
:func:`report` assembles what ``/staff/health`` and ``/healthz`` show from a station's parts, on
the web thread that asks.

    >>> errors = ErrorLog(store=None)
    >>> errors.add("camera", "no frame"); errors.add("camera", "no frame")
    >>> errors.last(), len(errors.recent())
    ('no frame', 2)
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from station import __version__
from station.runtime import thermal
from station.storage import StoreError

if TYPE_CHECKING:
    from station.camera.sources import FrameSource
    from station.runtime.devices import Devices, WallSwitch
    from station.runtime.hub import Subscription
    from station.runtime.rep_recorder import RepRecorder
    from station.runtime.storage_watch import StorageWatch
    from station.storage.replog import RepLog

log = logging.getLogger("station")

ERRORS_KEPT = 20
# Log records kept for the health page: a few screens of them, ~200 bytes each (40 KB at most).
LOG_LINES_KEPT = 200
LOG_LINE_CHARS = 500  # as the rep log's error table keeps them: a traceback's first lines
FPS_WINDOW = 90  # frames: three seconds at the camera's 30 fps


class ErrorSink(Protocol):
    """Where errors are kept on disk: the rep log's error table (``RepLog.errors``)."""

    def add(self, t: float, source: str, message: str) -> None: ...


class LoopObserver(Protocol):
    """Hears the loop, on the loop's thread: must take microseconds, never wait (e.g. the
    Prometheus metrics in :mod:`station.fleet.prometheus`, a wake-up for the MQTT publisher)."""

    def frame(self, inference_ms: float | None, coach_ms: float) -> None: ...

    def events(self, events: list[dict[str, Any]]) -> None:
        """The frame's events as the pages get them (a finished rep carries its id in the log)."""


class ErrorLog:
    """The most recent errors, newest last; each also goes to the logger (once while it repeats)
    and to the rep log's error table when one is given."""

    def __init__(self, store: ErrorSink | None) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=ERRORS_KEPT)

    def add(self, source: str, message: str) -> None:
        t = time.time()
        entry: dict[str, Any] = {"t": t, "source": source, "message": message}
        with self._lock:
            repeat = bool(self._entries) and self._entries[-1]["message"] == message
            self._entries.append(entry)
        if not repeat:
            log.warning("%s: %s", source, message)
        if self._store is not None:
            with contextlib.suppress(StoreError):
                self._store.add(t, source, message)

    def last(self) -> str | None:
        with self._lock:
            return self._entries[-1]["message"] if self._entries else None

    def recent(self) -> list[dict[str, Any]]:
        """Newest first."""
        with self._lock:
            return list(self._entries)[::-1]


class LoopFigures:
    """Frames, frame rate and per-frame costs of the loop."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.frames = 0
        self.missed_reads = 0
        self.inference_ms = 0.0
        self.coach_ms = 0.0
        self._times: collections.deque[float] = collections.deque(maxlen=FPS_WINDOW)

    def frame(self, inference_ms: float | None, coach_ms: float) -> None:
        """One frame went through the coach (``inference_ms`` None: the frame came with its pose)."""
        if inference_ms is not None:
            self.inference_ms = inference_ms
        self.coach_ms = coach_ms
        self.frames += 1
        self._times.append(time.monotonic())

    def fps(self) -> float:
        times = list(self._times)
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def as_dict(self) -> dict[str, Any]:
        return {
            "uptime_s": round(time.monotonic() - self.started, 1), "fps": round(self.fps(), 1),
            "inference_ms": round(self.inference_ms, 2), "coach_ms": round(self.coach_ms, 3),
            "frames": self.frames, "missed_reads": self.missed_reads,
        }


class LogRing(logging.Handler):
    """The newest log records in memory, for the health page: attached to the root logger while
    the station runs. Web threads read :meth:`lines`, a copy taken under the lock.

        >>> ring = LogRing(capacity=2); logger = logging.getLogger("doctest.ring")
        >>> logger.addHandler(ring); logger.setLevel(logging.INFO)
        >>> for word in ("one", "two", "three"): logger.info(word)
        >>> [line["message"] for line in ring.lines()]
        ['three', 'two']
        >>> logger.removeHandler(ring)
    """

    def __init__(self, capacity: int = LOG_LINES_KEPT, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._ring: collections.deque[dict[str, Any]] = collections.deque(maxlen=capacity)
        self._ring_lock = threading.Lock()  # the handler's own lock is held while emit runs

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            line = {"t": record.created, "level": record.levelname.lower(), "logger": record.name,
                    "message": message[:LOG_LINE_CHARS]}
        except Exception:  # a bad format string must not take the logger down
            self.handleError(record)
            return
        with self._ring_lock:
            self._ring.append(line)

    def lines(self, limit: int = LOG_LINES_KEPT) -> list[dict[str, Any]]:
        """Newest first, at most ``limit``."""
        with self._ring_lock:
            newest = list(self._ring)[::-1]
        return newest[:limit]


class Watched(Protocol):
    """What :func:`report` reads of a station (:class:`station.runtime.station.Station` has it all)."""

    data_dir: Path
    store: RepLog
    source: FrameSource
    devices: Devices
    recorder: RepRecorder
    storage_watch: StorageWatch
    figures: LoopFigures
    errors: ErrorLog
    demo: bool
    health_parts: list[Callable[[], dict[str, Any]]]  # more health, e.g. the MQTT publisher's

    @property
    def camera(self) -> str: ...

    @property
    def service(self) -> str | None: ...

    @property
    def subscribers(self) -> list[Subscription]: ...

    def warnings(self) -> list[str]: ...

    def lights(self) -> dict[str, float]: ...


def report(station: Watched) -> dict[str, Any]:
    """The health dict: status, figures, errors, disk, the rep log, and each of ``health_parts``.

    Nothing here touches the data folder's disk or waits on the rep log's lock: the storage
    figures are the storage watch's last look (a frozen SD card must not hold a web thread)."""
    storage = station.storage_watch.figures()
    subs = station.subscribers
    warnings = station.warnings() + storage_warnings(station, storage)
    service = station.service
    camera = station.camera
    degraded = bool(service or warnings or camera != "ok")
    return {
        "status": "degraded" if degraded else "up", "warnings": warnings,
        "version": __version__, "camera": camera, "service": service,
        "camera_name": getattr(station.source, "name", "?"), **station.figures.as_dict(),
        # model, sensor mode, field of view, focus, picamera2's version (Picamera2Source.describe)
        "camera_info": describe() if callable(describe := getattr(station.source, "describe", None)) else {},
        "dropped_snapshots": sum(s.dropped for s in subs), "subscribers": len(subs),
        "switch": switch_health(station.devices.switch), "lights": station.lights(), "demo": station.demo,
        "pins": station.devices.pins,
        # CPU temperature and the firmware's throttled flags (two small sysfs files)
        "thermal": thermal.read_thermal(thermal.SYS).as_dict(),
        "last_error": station.errors.last(), "errors": station.errors.recent(),
        **storage, "database_ok": database_ok(station, storage),
        # reps made while the log refused them (a full disk), waiting in memory to be written
        "reps_waiting_to_store": station.recorder.waiting_reps, "reps_not_kept": station.recorder.not_kept,
    } | {k: v for part in station.health_parts for k, v in part().items()}


def storage_warnings(station: Watched, storage: dict[str, Any]) -> list[str]:
    """What staff must hear about the rep log's disk: busy, its file gone, reps waiting."""
    out = [storage["storage_busy"]] if storage["storage_busy"] else []
    if storage["log_file_problem"]:
        out.append(storage["log_file_problem"])
    if waiting := station.recorder.waiting_reps:
        out.append(f"{waiting} reps wait in memory to be stored (at most "
                   f"{station.recorder.max_waiting}); they are written once the disk takes them")
    if station.recorder.not_kept:
        out.append(f"{station.recorder.not_kept} reps were not kept: more than "
                   f"{station.recorder.max_waiting} waited for the disk")
    return out


def database_ok(station: Watched, storage: dict[str, Any] | None = None) -> bool:
    """The rep log answered the storage watch's last look (``storage``: its figures, when already
    read), and the loop's last write went through."""
    figures = storage if storage is not None else station.storage_watch.figures()
    return not station.recorder.failed and bool(figures["database_ok"])


def switch_health(switch: WallSwitch | None) -> dict[str, Any]:
    """The wall switch: fitted, pressed, stuck (None for both once the pins are closed).

        >>> switch_health(None)
        {'enabled': False, 'pressed': False, 'stuck': False}
    """
    try:
        return {"enabled": switch is not None, "pressed": bool(switch and switch.pressed),
                "stuck": bool(switch and switch.stuck)}
    except Exception:  # the pins are closed (the station stopped)
        return {"enabled": switch is not None, "pressed": None, "stuck": None}
