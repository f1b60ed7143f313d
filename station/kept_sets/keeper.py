"""Keeping sets: the loop's poses of each set, kept in the rep log when staff turned it on.

Off by default (the ``keep_sets`` setting). When on, the loop hands every frame's pose here
(landmarks, the dowel's line and the wall switch: what a pose stream holds; never pixels). Frames
are kept only while a set is under way, plus a short run-up before it (so the coach, replaying the
stream, sees the stand the set started from), and at most :data:`MAX_FRAMES` a set. When the set
ends, a writer thread of its own turns the frames into pose-stream lines, compresses them and
stores them (:class:`station.storage.kept_sets.KeptSets`, its own connection): the loop only appends to a
list and never waits for SQLite. Sets older than ``keep_sets_days`` are forgotten at start and
daily. A crash loses at most the set under way (and one just ended while it is being written,
tens of milliseconds).

    >>> import tempfile, pathlib
    >>> from station.storage.replog import RepLog
    >>> log = RepLog.open(pathlib.Path(tempfile.mkdtemp()))
    >>> keeper = SetKeeper(KeptSets.of(log), lambda source, why: None, days=30)
    >>> keeper.frame(False, 0.0, None, None, None)   # off: nothing is kept
    >>> keeper.buffered
    0
    >>> keeper.close()
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from station.coach import thresholds as th
from station.coach.events import Event, RepFinished, RepStarted, SetEnded, SetStarted
from station.coach.geometry import Line
from station.kept_sets import clock
from station.pose.landmarks import Pose
from station.storage import StoreError, StoreReplaced
from station.storage.kept_sets import KeptSets
from station.streams.format import StreamFrame, frame_to_dict

log = logging.getLogger("station")

# The run-up kept before a set starts: the coach starts a set after ``ready_hold_s`` of standing
# still (at most 5 s, its setting's range) or from the upright frames of the last
# ``UPRIGHT_MEMORY_S``; one more second lets its smoothing settle in a replay.
PREROLL_S = max(5.0, th.UPRIGHT_MEMORY_S) + 1.0
# 3 minutes at 30 fps (the camera's default rate): a set of the drill is 5-15 reps of 2-4 s, so
# this is several times a long set; a Pose is about 1.5 KB, so a capped set holds some 8 MB.
MAX_FRAMES = 5400
PRUNE_EVERY_S = 86400.0  # retention: at start and daily
# Finished sets waiting for the writer; beyond this (a stalled disk) a set is dropped and reported,
# the loop is never held up.
MAX_WAITING = 4
_PRUNE = "prune"  # asks the writer to prune now (the retention changed)


@dataclass
class _Set:
    """A set being kept: its frames (raw, turned into text by the writer) and its reps' times."""

    t_wall: float  # when it started, wall clock (the list's time)
    frames: list[tuple[float, Pose | None, Line | None, bool | None]]
    set_id: int | None = None
    epoch: int | None = None  # the rep log's restore count when it began
    reps: list[tuple[int, float, float]] = field(default_factory=list)
    rep_start: float | None = None
    truncated: bool = False


class SetKeeper:
    """The loop's side (:meth:`frame`, :meth:`event`) and the writer thread (:meth:`start`)."""

    def __init__(self, kept: KeptSets, on_error: Callable[[str, str], None], *, days: int,
                 max_frames: int = MAX_FRAMES,
                 clock_synchronised: Callable[[], bool | None] = clock.synchronised) -> None:
        self.kept = kept
        self.clock_synchronised = clock_synchronised
        self.prune_waits: str | None = None  # why pruning waits (an unsynchronised clock), for health
        self.days = days
        self.max_frames = max_frames
        self._on_error = on_error
        self._preroll: deque[tuple[float, Pose | None, Line | None, bool | None]] = deque()
        self._set: _Set | None = None
        self._waiting: queue.Queue[_Set | str | None] = queue.Queue(MAX_WAITING)
        self._thread: threading.Thread | None = None

    @property
    def buffered(self) -> int:
        """Frames held now (run-up and the set under way)."""
        return len(self._preroll) + (len(self._set.frames) if self._set else 0)

    # ---------------------------------------------------------------- the loop's side
    def retain(self, days: int) -> None:
        """The retention setting (the loop calls this when settings change): a shorter one
        applies now, not at the next daily prune."""
        if days != self.days:
            self.days = days
            self._ask(_PRUNE)

    def frame(self, keep: bool, t: float, pose: Pose | None, dowel: Line | None, wall: bool | None) -> None:
        """One frame of the loop, before the coach's events for it; ``keep``: the setting now."""
        if not keep:  # turned off: nothing more is kept, not even the set under way
            self._preroll.clear()
            self._set = None
            return
        item = (t, pose, dowel, wall)
        current = self._set
        if current is None:
            self._preroll.append(item)
            while self._preroll and t - self._preroll[0][0] > PREROLL_S:
                self._preroll.popleft()
        elif len(current.frames) < self.max_frames:
            current.frames.append(item)
        else:
            current.truncated = True

    def event(self, event: Event, set_id: int | None) -> None:
        """A coach event, after the rep log stored it (``set_id``: its set there, when stored)."""
        if isinstance(event, SetStarted):
            if self._preroll:
                self._set = _Set(time.time(), list(self._preroll), set_id, self.kept.epoch())
                self._preroll.clear()
            return
        current = self._set
        if current is None:
            return
        current.set_id = current.set_id or set_id
        if isinstance(event, RepStarted):
            current.rep_start = event.t
        elif isinstance(event, RepFinished) and not current.truncated:
            start = event.t - float(event.metrics.get("duration_s", 0.0))
            start = max(start, current.rep_start if current.rep_start is not None else start)
            t0 = current.frames[0][0]
            current.reps.append((event.rep, round(start - t0, 3), round(event.t - t0, 3)))
        elif isinstance(event, SetEnded):
            self._set = None
            self._hand_over(current)

    def _hand_over(self, done: _Set) -> None:
        if done.set_id is None:
            self._on_error("store", "a kept set was not saved: its set is not in the rep log")
        elif not self._ask(done):
            self._on_error("store", f"kept set {done.set_id} dropped: the writer is behind")

    def _ask(self, item: _Set | str) -> bool:
        """Give the writer something to do, never waiting; False when it is too far behind."""
        try:
            self._waiting.put_nowait(item)
        except queue.Full:
            return False
        return True

    # ---------------------------------------------------------------- the writer thread
    def start(self) -> None:
        """The writer: prunes at once, then saves each finished set and prunes daily."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="set-keeper", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is waiting, stop the writer, close the connection (idempotent)."""
        if self._thread is not None:
            self._waiting.put(None)
            self._thread.join(timeout)
            self._thread = None
        self.kept.close()

    def _write(self) -> None:
        next_prune = 0.0
        while True:
            now = time.monotonic()
            if now >= next_prune:
                self.prune()
                next_prune = now + PRUNE_EVERY_S
            try:
                done = self._waiting.get(timeout=max(0.0, next_prune - now))
            except queue.Empty:
                continue
            if done is None:
                return
            if isinstance(done, _Set):
                self.save(done)
            else:
                self.prune()

    def prune(self) -> int:
        """Forget sets kept longer than the retention; how many went. Not while the wall clock
        is known to be unsynchronised (clock.py: a clock set ahead would forget every set); with
        no way to tell (not Linux: a laptop keeps its time with a battery), it prunes."""
        if self.clock_synchronised() is False:
            if self.prune_waits is None:
                self.prune_waits = ("kept sets are not pruned while the clock is not synchronised "
                                    "with network time (they are pruned once it is)")
                log.warning("%s", self.prune_waits)  # a log line, not an error: nothing is wrong yet
            return 0
        self.prune_waits = None
        try:
            return self.kept.prune(time.time() - self.days * 86400)
        except StoreError as exc:
            self._on_error("store", f"kept sets could not be pruned: {exc}")
            return 0

    def save(self, done: _Set) -> None:
        assert done.set_id is not None
        t0 = done.frames[0][0]
        lines = [json.dumps(frame_to_dict(StreamFrame(t - t0, pose.size if pose else (0, 0), pose,
                                                      dowel, wall)), separators=(",", ":"))
                 for t, pose, dowel, wall in done.frames]
        try:
            self.kept.save(done.set_id, done.t_wall, lines, done.reps, done.truncated, done.epoch)
        except StoreReplaced:
            self._on_error("store", f"kept set {done.set_id} not saved: the rep log was restored "
                           "from a backup while it was under way")
        except StoreError as exc:
            self._on_error("store", f"kept set {done.set_id} was not saved: {exc}")
