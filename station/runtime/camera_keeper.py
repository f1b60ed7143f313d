"""The loop's camera: open it, read with a timeout, reopen it with a growing back-off when it fails
or stalls, and keep the pages fed with idle snapshots meanwhile.

Only the loop thread calls it. Web threads read :attr:`CameraKeeper.state` (a plain string the
keeper replaces whole): ``starting``, ``ok`` or ``offline``.

    >>> from station.camera.sources import SimSource
    >>> from station.runtime.health import ErrorLog, LoopFigures
    >>> keeper = CameraKeeper(SimSource(fast=True), ErrorLog(store=None), LoopFigures(),
    ...                       stall_s=lambda: 5.0, publish_idle=lambda: None)
    >>> keeper.state
    'starting'
    >>> keeper.open(); keeper.state, keeper.opened
    ('ok', True)
    >>> keeper.read() is not None
    True
    >>> keeper.source.close()
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from station.camera.sources import CameraError, Frame, FrameSource
from station.runtime.health import ErrorLog, LoopFigures

IDLE_PUBLISH_S = 0.5  # with no frames (camera offline), snapshots still go out this often
# A camera that comes back is found within a few seconds (a retry is one failed open, cheap).
MAX_BACKOFF_S = 4.0


class CameraKeeper:
    """See the module docstring. ``stall_s`` is read at every empty read (staff may change it);
    ``publish_idle`` sends the last snapshot again, so the pages see that the station lives."""

    def __init__(self, source: FrameSource, errors: ErrorLog, figures: LoopFigures, *,
                 stall_s: Callable[[], float], publish_idle: Callable[[], None]) -> None:
        self.source = source
        self.errors = errors
        self.figures = figures
        self.stall_s = stall_s
        self.publish_idle = publish_idle
        self.state = "starting"
        self.opened = False
        self.backoff = 1.0
        self.retry_at = 0.0
        self.last_frame = time.monotonic()
        self.last_publish = 0.0
        self.last_offline_publish = 0.0

    def open(self) -> None:
        try:
            self.source.open()
        except CameraError as exc:
            self.errors.add("camera", str(exc))
            self.opened = False
        else:
            self.state = "ok"
            self.opened = True
        self.retry_at = time.monotonic() + self.backoff
        self.last_frame = time.monotonic()

    def offline(self, now: float) -> None:
        """The camera is closed: say so, and publish at the idle pace while it stays closed."""
        self.state = "offline"
        if now - self.last_offline_publish > IDLE_PUBLISH_S:
            self.last_offline_publish = now
            self.publish_idle()

    def retry(self, now: float) -> None:
        if now < self.retry_at:
            time.sleep(min(0.2, max(0.0, self.retry_at - now)))
            return
        self.open()
        self.backoff = 1.0 if self.opened else min(self.backoff * 2, MAX_BACKOFF_S)
        self.retry_at = now + self.backoff

    def _close(self, why: str) -> None:
        self.errors.add("camera", why)
        with contextlib.suppress(Exception):
            self.source.close()
        self.opened = False
        self.retry_at = time.monotonic() + self.backoff

    def read(self) -> Frame | None:
        """The next frame; None when there is none yet (the camera may be closed for a retry)."""
        try:
            frame = self.source.read(timeout=0.5)
        except CameraError as exc:
            self._close(str(exc))
            return None
        if frame is not None:
            self.last_frame = time.monotonic()
            self.backoff = 1.0
            self.state = "ok"
            return frame
        self.figures.missed_reads += 1
        stall_s = self.stall_s()
        if time.monotonic() - self.last_frame > stall_s:
            self._close(f"no frame from {self.source.name} for {stall_s:g} s; reopening")
        elif time.monotonic() - self.last_publish > IDLE_PUBLISH_S:
            self.publish_idle()
            self.published()
        return None

    def published(self) -> None:
        self.last_publish = time.monotonic()
